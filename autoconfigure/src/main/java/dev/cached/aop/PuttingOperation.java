package dev.cached.aop;

import java.util.List;
import java.util.function.Function;

import dev.cached.engine.CachedCache;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ObjectUtils;

/**
 * The {@code @CachePut} of one method, with the method's {@code @CacheInvalidate}
 * annotations if it has any: the method runs on every call; those invalidations marked
 * {@code beforeInvocation} happen before it, and after it returned normally the result is
 * stored, then the other invalidations happen.
 */
final class PuttingOperation extends MethodOperation {

	private final CachePutOperation put;

	private final List<CacheInvalidateOperation> invalidations;

	private final Function<String, @Nullable CachedCache> caches;

	PuttingOperation(CachePutOperation put, List<CacheInvalidateOperation> invalidations,
			Function<String, @Nullable CachedCache> caches) {
		this.put = put;
		this.invalidations = List.copyOf(invalidations);
		this.caches = caches;
	}

	@Override
	@Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		for (CacheInvalidateOperation invalidation : this.invalidations) {
			if (invalidation.isBeforeInvocation()) {
				invalidation.invalidate(invocation, null, this.caches);
			}
		}
		Object result = invocation.proceed();
		this.put.put(invocation, result, this.caches);
		Object value = ObjectUtils.unwrapOptional(result);
		for (CacheInvalidateOperation invalidation : this.invalidations) {
			if (!invalidation.isBeforeInvocation()) {
				invalidation.invalidate(invocation, value, this.caches);
			}
		}
		return result;
	}

	CachePutOperation getPut() {
		return this.put;
	}

	List<CacheInvalidateOperation> getInvalidations() {
		return this.invalidations;
	}

}
