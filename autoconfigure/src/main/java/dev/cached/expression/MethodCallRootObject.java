package dev.cached.expression;

import java.lang.reflect.Method;
import java.util.Arrays;

import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;

/**
 * The root object of an expression: {@code #root.args}, {@code #root.method},
 * {@code #root.methodName}, {@code #root.target}, {@code #root.targetClass}. The arguments
 * of a Kotlin {@code suspend} function leave its {@code Continuation} out.
 */
public final class MethodCallRootObject {

	private final MethodInvocation invocation;

	MethodCallRootObject(MethodInvocation invocation) {
		this.invocation = invocation;
	}

	public @Nullable Object[] getArgs() {
		@Nullable Object[] arguments = this.invocation.getArguments();
		int count = MethodExpressions.parameterCount(this.invocation.getMethod());
		return (count < arguments.length) ? Arrays.copyOf(arguments, count) : arguments;
	}

	public Method getMethod() {
		return this.invocation.getMethod();
	}

	public String getMethodName() {
		return this.invocation.getMethod().getName();
	}

	public @Nullable Object getTarget() {
		return this.invocation.getThis();
	}

	public @Nullable Class<?> getTargetClass() {
		Object target = this.invocation.getThis();
		return (target != null) ? AopUtils.getTargetClass(target) : null;
	}

}
