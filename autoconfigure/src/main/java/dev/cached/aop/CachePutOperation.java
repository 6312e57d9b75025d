package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.Optional;
import java.util.function.Function;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.expression.CallExpression;
import dev.cached.key.KeyGenerator;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ObjectUtils;

/**
 * What one {@code @CachePut} says about a method: which cache, which key, and when the
 * result is stored.
 */
public final class CachePutOperation {

	private final Method method;

	private final String cacheName;

	private final KeyGenerator keyGenerator;

	private final @Nullable CallExpression condition;

	private final @Nullable CallExpression unless;

	private final String methodDescription;

	private volatile @Nullable CachedCache cache;

	CachePutOperation(Method method, String cacheName, KeyGenerator keyGenerator, @Nullable CallExpression condition,
			@Nullable CallExpression unless) {
		this.method = method;
		this.cacheName = cacheName;
		this.keyGenerator = keyGenerator;
		this.condition = condition;
		this.unless = unless;
		this.methodDescription = CacheRegistry.describe(method);
	}

	/**
	 * Store the result of a call that returned normally, unless {@code condition} or
	 * {@code unless} say otherwise. An empty {@link Optional} counts as {@code null}, as
	 * it does for {@code @Cached}, and {@code #result} is the value inside an
	 * {@link Optional}, as in Spring's caching.
	 */
	void put(MethodInvocation invocation, @Nullable Object result, Function<String, @Nullable CachedCache> caches) {
		Object resultVariable = ObjectUtils.unwrapOptional(result);
		if (this.condition != null && !this.condition.isTrue(invocation, resultVariable)) {
			return;
		}
		if (this.unless != null && this.unless.isTrue(invocation, resultVariable)) {
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
		cache.put(this.keyGenerator.generate(invocation, resultVariable), value);
	}

	String unknownCacheMessage() {
		return "@CachePut on method '" + this.methodDescription + "' names cache '" + this.cacheName
				+ "', which no @Cached method uses";
	}

	/**
	 * Return the annotated method.
	 * @return the method
	 */
	public Method getMethod() {
		return this.method;
	}

	/**
	 * Return the name of the cache to store into.
	 * @return the cache name
	 */
	public String getCacheName() {
		return this.cacheName;
	}

}
