package dev.cached.aop;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * The advice around {@code @Cached}, {@code @CachePut} and {@code @CacheInvalidate}
 * methods: finds the method's operation and hands the call to it. Everything else lives in
 * the engine.
 */
public final class CachedInterceptor implements MethodInterceptor {

	private final CachedOperationSource source;

	/**
	 * Create the interceptor.
	 * @param source where the operations come from
	 */
	public CachedInterceptor(CachedOperationSource source) {
		this.source = source;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Object target = invocation.getThis();
		MethodOperation operation = this.source.getOperation(invocation.getMethod(),
				(target != null) ? target.getClass() : null);
		return (operation != null) ? operation.invoke(invocation) : invocation.proceed();
	}

}
