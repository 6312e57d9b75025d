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
	public abstract @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result);

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
		public @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result) {
			return invocation.getArguments()[this.index];
		}

		@Override
		public int getArgumentIndex() {
			return this.index;
		}

	}

	/**
	 * Any other expression, evaluated by SpEL (compiled after a few runs where SpEL can).
	 */
	static final class Spel extends CallExpression {

		private final SpelExpression spel;

		private final EvaluationContext shared;

		private final Map<String, Integer> variables;

		Spel(String expression, String description, SpelExpression spel, EvaluationContext shared,
				Map<String, Integer> variables) {
			super(expression, description);
			this.spel = spel;
			this.shared = shared;
			this.variables = variables;
		}

		@Override
		public @Nullable Object getValue(MethodInvocation invocation, @Nullable Object result) {
			try {
				return this.spel.getValue(new MethodCallEvaluationContext(this.shared, this.variables, invocation,
						result));
			}
			catch (EvaluationException | IllegalStateException | ClassCastException | NullPointerException ex) {
				throw new IllegalStateException(
						"Evaluating the " + super.description + " failed: " + ex.getMessage(), ex);
			}
		}

	}

}
