package dev.cached.expression;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.expression.BeanResolver;
import org.springframework.expression.ConstructorResolver;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.IndexAccessor;
import org.springframework.expression.MethodResolver;
import org.springframework.expression.OperatorOverloader;
import org.springframework.expression.PropertyAccessor;
import org.springframework.expression.TypeComparator;
import org.springframework.expression.TypeConverter;
import org.springframework.expression.TypeLocator;
import org.springframework.expression.TypedValue;

/**
 * The context of one evaluation: variables are the call's arguments (by name,
 * {@code #pN} and {@code #aN}) and {@code #result}; the root object is the call. Every
 * resolver and converter comes from one shared, read-only context, so a call allocates
 * only this object.
 */
final class MethodCallEvaluationContext implements EvaluationContext {

	private final EvaluationContext shared;

	private final Map<String, Integer> variables;

	private final MethodInvocation invocation;

	private final @Nullable Object result;

	private @Nullable TypedValue root;

	private @Nullable Map<String, @Nullable Object> assigned;

	MethodCallEvaluationContext(EvaluationContext shared, Map<String, Integer> variables, MethodInvocation invocation,
			@Nullable Object result) {
		this.shared = shared;
		this.variables = variables;
		this.invocation = invocation;
		this.result = result;
	}

	@Override
	public TypedValue getRootObject() {
		TypedValue root = this.root;
		if (root == null) {
			root = new TypedValue(new MethodCallRootObject(this.invocation));
			this.root = root;
		}
		return root;
	}

	@Override
	public @Nullable Object lookupVariable(String name) {
		if (this.assigned != null && this.assigned.containsKey(name)) {
			return this.assigned.get(name);
		}
		Integer index = this.variables.get(name);
		if (index != null) {
			return this.invocation.getArguments()[index];
		}
		if ("result".equals(name)) {
			return this.result;
		}
		return null;
	}

	@Override
	public void setVariable(String name, @Nullable Object value) {
		if (this.assigned == null) {
			this.assigned = new HashMap<>();
		}
		this.assigned.put(name, value);
	}

	@Override
	public List<PropertyAccessor> getPropertyAccessors() {
		return this.shared.getPropertyAccessors();
	}

	@Override
	public List<IndexAccessor> getIndexAccessors() {
		return this.shared.getIndexAccessors();
	}

	@Override
	public List<ConstructorResolver> getConstructorResolvers() {
		return this.shared.getConstructorResolvers();
	}

	@Override
	public List<MethodResolver> getMethodResolvers() {
		return this.shared.getMethodResolvers();
	}

	@Override
	public @Nullable BeanResolver getBeanResolver() {
		return this.shared.getBeanResolver();
	}

	@Override
	public TypeLocator getTypeLocator() {
		return this.shared.getTypeLocator();
	}

	@Override
	public TypeConverter getTypeConverter() {
		return this.shared.getTypeConverter();
	}

	@Override
	public TypeComparator getTypeComparator() {
		return this.shared.getTypeComparator();
	}

	@Override
	public OperatorOverloader getOperatorOverloader() {
		return this.shared.getOperatorOverloader();
	}

}
