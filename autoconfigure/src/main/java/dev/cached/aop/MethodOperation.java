package dev.cached.aop;

import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * What the annotations of one method make the interceptor do.
 */
abstract sealed class MethodOperation permits CachedOperation, CachedAllOperation, InvalidatingOperation,
		PuttingOperation {

	/**
	 * Answer a call.
	 * @param invocation the call
	 * @return the result
	 * @throws Throwable what the method throws, unwrapped
	 */
	abstract @Nullable Object invoke(MethodInvocation invocation) throws Throwable;

}
