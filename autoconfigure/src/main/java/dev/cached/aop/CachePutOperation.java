package dev.cached.aop;

import java.util.Optional;
import java.util.function.Function;

import dev.cached.engine.CachedCache;
import dev.cached.expression.CallExpression;
import dev.cached.key.KeyGenerator;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * What one {@code @CachePut} says about a method: which cache, which key, and when the
 * result is stored.
 */
public final class CachePutOperation {

	private final String cacheName;

	private final KeyGenerator keyGenerator;

	private final @Nullable CallExpression condition;

	private final @Nullable CallExpression unless;

	private final String methodDescription;

	private volatile @Nullable CachedCache cache;

	CachePutOperation(String cacheName, KeyGenerator keyGenerator, @Nullable CallExpression condition,
			@Nullable CallExpression unless, String methodDescription) {
		this.cacheName = cacheName;
		this.keyGenerator = keyGenerator;
		this.condition = condition;
		this.unless = unless;
		this.methodDescription = methodDescription;
	}

	/**
	 * Store the result of a call that returned normally, unless {@code condition} or
	 * {@code unless} say otherwise. An empty {@link Optional} counts as {@code null}, as
	 * it does for {@code @Cached}.
	 */
	void put(MethodInvocation invocation, @Nullable Object result, Function<String, @Nullable CachedCache> caches) {
		if (this.condition != null && !this.condition.isTrue(invocation, result)) {
			return;
		}
		if (this.unless != null && this.unless.isTrue(invocation, result)) {
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
		Object value = (result instanceof Optional<?> optional && optional.isEmpty()
				&& !cache.getSettings().isCacheNullValues()) ? null : result;
		cache.put(this.keyGenerator.generate(invocation, result), value);
	}

	String unknownCacheMessage() {
		return "@CachePut on method '" + this.methodDescription + "' names cache '" + this.cacheName
				+ "', which no @Cached method uses";
	}

	/**
	 * Return the name of the cache to store into.
	 * @return the cache name
	 */
	public String getCacheName() {
		return this.cacheName;
	}

}
