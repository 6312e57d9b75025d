package dev.cached.expression;

import java.util.Map;

import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.expression.EvaluationContext;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.spel.standard.SpelExpression;

/**
 * An expression over one method call, parsed once. Evaluation failures are rethrown as
 * {@link IllegalStateException} naming the expression and what it is for.
 */
public abstract sealed class CallExpression {

	private final String expression;

	private final String description;

	CallExpression(String expression, String description) {
		this.expression = expression;
		this.description = description;
	}

	/**
	 * Evaluate the expression.
	 * @param invocation the call
	 * @param result the method's result, when the expression may use {@code #result}
	 * @return the value
	 * @throws IllegalStateException if evaluation fails
	 */
	public @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result) {
		return getValue(invocation, result, null);
	}

	/**
	 * Evaluate the expression with the value of the variable it was parsed with (see
	 * {@link MethodExpressions#parse(java.lang.reflect.Method, String, String, boolean, String)}).
	 * @param invocation the call
	 * @param result the method's result, when the expression may use {@code #result}
	 * @param bound the value of the bound variable
	 * @return the value
	 * @throws IllegalStateException if evaluation fails
	 */
	public abstract @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result,
			@Nullable Object bound);

	/**
	 * Evaluate the expression as a condition.
	 * @param invocation the call
	 * @param result the method's result, when the expression may use {@code #result}
	 * @return the condition
	 * @throws IllegalStateException if evaluation fails or does not give a boolean
	 */
	public boolean isTrue(MethodInvocation invocation, @Nullable Object result) {
		Object value = getValue(invocation, result);
		if (value instanceof Boolean bool) {
			return bool;
		}
		throw new IllegalStateException(
				"The " + this.description + " gave " + value + " instead of true or false");
	}

	/**
	 * Return the index of the parameter this expression reads, if it is a plain
	 * parameter reference such as {@code #id} or {@code #p0}.
	 * @return the parameter index, or {@code -1} for any other expression
	 */
	public int getArgumentIndex() {
		return -1;
	}

	/**
	 * Return the expression text.
	 * @return the text
	 */
	public String getExpression() {
		return this.expression;
	}

	@Override
	public String toString() {
		return this.expression;
	}

	/**
	 * A plain parameter reference ({@code #id}, {@code #p0}): read from the arguments
	 * without SpEL.
	 */
	static final class Argument extends CallExpression {

		private final int index;

		Argument(String expression, String description, int index) {
			super(expression, description);
			this.index = index;
		}

		@Override
		public @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result,
				@Nullable Object bound) {
			return invocation.getArguments()[this.index];
		}

		@Override
		public int getArgumentIndex() {
			return this.index;
		}

	}

	/**
	 * The bound variable alone ({@code #element}): its value, without SpEL.
	 */
	static final class Bound extends CallExpression {

		Bound(String expression, String description) {
			super(expression, description);
		}

		@Override
		public @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result,
				@Nullable Object bound) {
			return bound;
		}

	}

	/**
	 * Any other expression, evaluated by SpEL (compiled after a few runs where SpEL can).
	 */
	static final class Spel extends CallExpression {

		private final SpelExpression spel;

		private final EvaluationContext shared;

		private final Map<String, Integer> variables;

		private final @Nullable String bound;

		Spel(String expression, String description, SpelExpression spel, EvaluationContext shared,
				Map<String, Integer> variables, @Nullable String bound) {
			super(expression, description);
			this.spel = spel;
			this.shared = shared;
			this.variables = variables;
			this.bound = bound;
		}

		@Override
		public @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result,
				@Nullable Object bound) {
			try {
				MethodCallEvaluationContext context = new MethodCallEvaluationContext(this.shared, this.variables,
						invocation, result);
				if (this.bound != null) {
					context.setVariable(this.bound, bound);
				}
				return this.spel.getValue(context);
			}
			catch (EvaluationException | IllegalStateException | ClassCastException | NullPointerException ex) {
				throw new IllegalStateException(
						"Evaluating the " + super.description + " failed: " + ex.getMessage(), ex);
			}
		}

	}

}
