package dev.cached.expression;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.KotlinDetector;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.SpelCompilerMode;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.SpelParserConfiguration;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.StandardEvaluationContext;

/**
 * Parses the expressions of annotated methods, once each, and checks every variable they
 * name against the method's parameters. Thread-safe; share one per application.
 * <p>
 * The parameters are those the source declares: the {@code kotlin.coroutines.Continuation}
 * that the compiler adds to a Kotlin {@code suspend} function is none, so {@code #p0},
 * {@code #id} and {@code #root.args} mean what they mean in the Kotlin signature.
 */
public final class MethodExpressions {

	private static final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

	private final SpelExpressionParser parser;

	private final StandardEvaluationContext shared;

	/**
	 * Create the parser.
	 * @param beanFactory resolves {@code @beanName} references, or {@code null} for none
	 * @param classLoader the class loader for compiled expressions, or {@code null}
	 */
	public MethodExpressions(@Nullable BeanFactory beanFactory, @Nullable ClassLoader classLoader) {
		this.parser = new SpelExpressionParser(new SpelParserConfiguration(SpelCompilerMode.MIXED, classLoader));
		this.shared = new StandardEvaluationContext();
		if (beanFactory != null) {
			this.shared.setBeanResolver(new BeanFactoryResolver(beanFactory));
		}
		// Initialise the lazily created defaults now: afterwards the shared context is
		// only read, by every call on every thread.
		this.shared.getPropertyAccessors();
		this.shared.getIndexAccessors();
		this.shared.getConstructorResolvers();
		this.shared.getMethodResolvers();
		this.shared.getTypeLocator();
		this.shared.getTypeConverter();
	}

	/**
	 * Parse an expression of {@code method}.
	 * @param method the annotated method
	 * @param expression the expression text (not empty)
	 * @param description what the expression is, for messages, e.g. {@code key expression
	 * '#id' of cache 'RuleService.getRule'}
	 * @param resultAvailable whether {@code #result} may be used
	 * @return the parsed expression
	 * @throws IllegalArgumentException if the expression does not parse or names a
	 * variable the method does not have
	 */
	public CallExpression parse(Method method, String expression, String description, boolean resultAvailable) {
		return parse(method, expression, description, resultAvailable, null);
	}

	/**
	 * Parse an expression of {@code method} that also sees one variable bound per
	 * evaluation ({@code #element} of a bulk key, {@code #value} of a bulk value key),
	 * given to {@link CallExpression#getValue(org.aopalliance.intercept.MethodInvocation,
	 * Object, Object)}. The variable hides a parameter of the same name.
	 * @param method the annotated method
	 * @param expression the expression text (not empty)
	 * @param description what the expression is, for messages
	 * @param resultAvailable whether {@code #result} may be used
	 * @param bound the name of the bound variable, without {@code #}, or {@code null}
	 * @return the parsed expression
	 * @throws IllegalArgumentException if the expression does not parse or names a
	 * variable the method does not have
	 */
	public CallExpression parse(Method method, String expression, String description, boolean resultAvailable,
			@Nullable String bound) {
		Map<String, Integer> variables = variables(method);
		if (bound != null) {
			variables.remove(bound);
		}
		SpelExpression parsed;
		try {
			parsed = (SpelExpression) this.parser.parseExpression(expression);
		}
		catch (ParseException ex) {
			throw new IllegalArgumentException("cannot parse '" + expression + "': " + ex.getSimpleMessage(), ex);
		}
		Set<String> names = new LinkedHashSet<>();
		collectVariables(parsed.getAST(), names);
		for (String name : names) {
			if ("result".equals(name)) {
				if (!resultAvailable) {
					throw new IllegalArgumentException("'" + expression + "' uses #result, which is only available in"
							+ " 'unless', in @CachePut and in a @CacheInvalidate key or condition evaluated after the"
							+ " invocation");
				}
			}
			else if (!variables.containsKey(name) && !"root".equals(name) && !"this".equals(name)
					&& !name.equals(bound)) {
				throw new IllegalArgumentException("'" + expression + "' refers to #" + name
						+ ", which is not a parameter of the method; parameters are " + parameterList(method)
						+ " (names need the compiler flag -parameters; #p0/#a0 always work)");
			}
		}
		SpelNode ast = parsed.getAST();
		if (ast instanceof VariableReference && names.size() == 1 && names.contains(bound)) {
			return new CallExpression.Bound(expression, description);
		}
		if (ast instanceof VariableReference && names.size() == 1) {
			Integer index = variables.get(names.iterator().next());
			if (index != null) {
				return new CallExpression.Argument(expression, description, index);
			}
		}
		return new CallExpression.Spel(expression, description, parsed, this.shared, variables, bound);
	}

	/**
	 * Return the number of parameters a method declares in its source: all of them, but
	 * the trailing {@code Continuation} of a Kotlin {@code suspend} function, which is no
	 * argument of the call as its caller sees it (nor of its key).
	 * @param method the method
	 * @return the number of declared parameters
	 */
	public static int parameterCount(Method method) {
		int count = method.getParameterCount();
		return KotlinDetector.isSuspendingFunction(method) ? count - 1 : count;
	}

	private static void collectVariables(SpelNode node, Set<String> names) {
		if (node instanceof VariableReference) {
			names.add(node.toStringAST().substring(1));
		}
		for (int i = 0; i < node.getChildCount(); i++) {
			collectVariables(node.getChild(i), names);
		}
	}

	private static Map<String, Integer> variables(Method method) {
		Map<String, Integer> variables = new HashMap<>();
		int count = parameterCount(method);
		for (int i = 0; i < count; i++) {
			variables.put("p" + i, i);
			variables.put("a" + i, i);
		}
		String[] names = parameterNames.getParameterNames(method);
		if (names != null) {
			// Kotlin's names leave a suspend function's Continuation out, the compiler's keep it
			for (int i = 0; i < Math.min(names.length, count); i++) {
				variables.putIfAbsent(names[i], i);
			}
		}
		return variables;
	}

	private static List<String> parameterList(Method method) {
		String[] names = parameterNames.getParameterNames(method);
		List<String> result = new ArrayList<>();
		for (int i = 0; i < parameterCount(method); i++) {
			result.add((names != null && i < names.length) ? "#" + names[i] : "#p" + i);
		}
		return result;
	}

}
