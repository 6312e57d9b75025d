package dev.cached.aop;

import java.util.function.Function;

import dev.cached.engine.CachedCache;
import dev.cached.expression.CallExpression;
import dev.cached.key.KeyGenerator;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * What one {@code @CacheInvalidate} says about a method: which cache, which key (or all
 * entries), and when.
 */
public final class CacheInvalidateOperation {

	private final String cacheName;

	private final @Nullable KeyGenerator keyGenerator;

	private final boolean beforeInvocation;

	private final @Nullable CallExpression condition;

	private final String methodDescription;

	private volatile @Nullable CachedCache cache;

	CacheInvalidateOperation(String cacheName, @Nullable KeyGenerator keyGenerator, boolean beforeInvocation,
			@Nullable CallExpression condition, String methodDescription) {
		this.cacheName = cacheName;
		this.keyGenerator = keyGenerator;
		this.beforeInvocation = beforeInvocation;
		this.condition = condition;
		this.methodDescription = methodDescription;
	}

	/**
	 * Invalidate for one call.
	 * @param invocation the call
	 * @param result the method's result ({@code #result}: the value inside an
	 * {@code Optional}), or {@code null} before the invocation
	 * @param caches the caches by name
	 */
	void invalidate(MethodInvocation invocation, @Nullable Object result, Function<String, @Nullable CachedCache> caches) {
		if (this.condition != null && !this.condition.isTrue(invocation, result)) {
			return;
		}
		CachedCache cache = this.cache;
		if (cache == null) {
			cache = caches.apply(this.cacheName);
			if (cache == null) {
				throw new IllegalStateException(unknownCacheMessage());
			}
			this.cache = cache;
		}
		if (this.keyGenerator == null) {
			cache.invalidateAll();
		}
		else {
			cache.invalidate(this.keyGenerator.generate(invocation, result));
		}
	}

	String unknownCacheMessage() {
		return "@CacheInvalidate on method '" + this.methodDescription + "' names cache '" + this.cacheName
				+ "', which no @Cached method uses";
	}

	/**
	 * Return the name of the cache to invalidate.
	 * @return the cache name
	 */
	public String getCacheName() {
		return this.cacheName;
	}

	/**
	 * Return whether every entry is removed.
	 * @return whether all entries are removed
	 */
	public boolean isAllEntries() {
		return this.keyGenerator == null;
	}

	/**
	 * Return whether the invalidation happens before the method runs.
	 * @return whether before the invocation
	 */
	public boolean isBeforeInvocation() {
		return this.beforeInvocation;
	}

}
