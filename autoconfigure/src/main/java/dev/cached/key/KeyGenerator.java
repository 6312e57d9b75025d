package dev.cached.key;

import dev.cached.expression.CallExpression;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * Makes the key of one call, chosen once per method at startup. A plain parameter key or
 * the default key of a one-argument method returns the argument itself and allocates
 * nothing.
 */
public abstract sealed class KeyGenerator {

	/**
	 * Return the generator of the default key: all arguments.
	 * @param parameterCount the method's number of parameters
	 * @return the generator
	 */
	public static KeyGenerator allArguments(int parameterCount) {
		return switch (parameterCount) {
			case 0 -> NoArguments.INSTANCE;
			case 1 -> SingleArgument.INSTANCE;
			default -> AllArguments.INSTANCE;
		};
	}

	/**
	 * Return the generator of a key expression.
	 * @param expression the parsed expression
	 * @return the generator
	 */
	public static KeyGenerator expression(CallExpression expression) {
		return new Expression(expression);
	}

	/**
	 * Make the key of a call.
	 * @param invocation the call
	 * @param result the method's result, where the expression may use it
	 * @return the key, never {@code null}
	 */
	public abstract Object generate(MethodInvocation invocation, @Nullable Object result);

	static final class NoArguments extends KeyGenerator {

		static final NoArguments INSTANCE = new NoArguments();

		@Override
		public Object generate(MethodInvocation invocation, @Nullable Object result) {
			return CacheKey.EMPTY;
		}

	}

	static final class SingleArgument extends KeyGenerator {

		static final SingleArgument INSTANCE = new SingleArgument();

		@Override
		public Object generate(MethodInvocation invocation, @Nullable Object result) {
			return CacheKey.ofValue(invocation.getArguments()[0]);
		}

	}

	static final class AllArguments extends KeyGenerator {

		static final AllArguments INSTANCE = new AllArguments();

		@Override
		public Object generate(MethodInvocation invocation, @Nullable Object result) {
			return CacheKey.of(invocation.getArguments());
		}

	}

	static final class Expression extends KeyGenerator {

		private final CallExpression expression;

		Expression(CallExpression expression) {
			this.expression = expression;
		}

		@Override
		public Object generate(MethodInvocation invocation, @Nullable Object result) {
			return CacheKey.ofValue(this.expression.getValue(invocation, result));
		}

	}

}
