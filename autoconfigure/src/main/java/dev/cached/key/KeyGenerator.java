package dev.cached.key;

import java.util.Arrays;

import dev.cached.expression.CallExpression;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * Makes the key of one call, chosen once per method at startup. A plain parameter key
 * ({@code #id}, {@code #p0}) and the default key of a one-argument method are the same
 * generator: it returns the argument itself and allocates nothing.
 */
public abstract sealed class KeyGenerator {

	/**
	 * Return the generator of the default key: all arguments, that is the first
	 * {@code parameterCount} (a call may pass one more that is no argument of the key: the
	 * {@code Continuation} of a Kotlin {@code suspend} function).
	 * @param parameterCount the number of parameters the method declares in its source
	 * @return the generator
	 */
	public static KeyGenerator allArguments(int parameterCount) {
		return switch (parameterCount) {
			case 0 -> NoArguments.INSTANCE;
			case 1 -> SingleArgument.FIRST;
			default -> new AllArguments(parameterCount);
		};
	}

	/**
	 * Return the generator of a key expression.
	 * @param expression the parsed expression
	 * @return the generator
	 */
	public static KeyGenerator expression(CallExpression expression) {
		int index = expression.getArgumentIndex();
		return (index >= 0) ? SingleArgument.of(index) : new Expression(expression);
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

		static final SingleArgument FIRST = new SingleArgument(0);

		private final int index;

		private SingleArgument(int index) {
			this.index = index;
		}

		static SingleArgument of(int index) {
			return (index == 0) ? FIRST : new SingleArgument(index);
		}

		@Override
		public Object generate(MethodInvocation invocation, @Nullable Object result) {
			return CacheKey.ofValue(invocation.getArguments()[this.index]);
		}

	}

	static final class AllArguments extends KeyGenerator {

		private final int count;

		AllArguments(int count) {
			this.count = count;
		}

		@Override
		public Object generate(MethodInvocation invocation, @Nullable Object result) {
			@Nullable Object[] arguments = invocation.getArguments();
			return CacheKey.of((arguments.length > this.count) ? Arrays.copyOf(arguments, this.count) : arguments);
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
