package dev.cached.aop;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import dev.cached.engine.CachedCache;
import dev.cached.expression.CallExpression;
import dev.cached.key.CacheKey;
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

	/** The elements whose keys are invalidated, {@code null} for one key (or all entries). */
	private final @Nullable Elements elements;

	private volatile @Nullable CachedCache cache;

	CacheInvalidateOperation(String cacheName, @Nullable KeyGenerator keyGenerator, boolean beforeInvocation,
			@Nullable CallExpression condition, String methodDescription) {
		this(cacheName, keyGenerator, beforeInvocation, condition, methodDescription, null);
	}

	CacheInvalidateOperation(String cacheName, @Nullable KeyGenerator keyGenerator, boolean beforeInvocation,
			@Nullable CallExpression condition, String methodDescription, @Nullable Elements elements) {
		this.elements = elements;
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
		if (this.elements != null) {
			this.elements.invalidate(cache, invocation, result);
		}
		else if (this.keyGenerator == null) {
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
		return this.keyGenerator == null && this.elements == null;
	}

	/**
	 * Return whether the invalidation happens before the method runs.
	 * @return whether before the invocation
	 */
	public boolean isBeforeInvocation() {
		return this.beforeInvocation;
	}

	/**
	 * The elements of {@code @CacheInvalidate(elements = ...)}: each element's key is
	 * invalidated, made by the key expression with {@code #element} (or the element itself),
	 * as a {@code @CachedAll} method makes it.
	 */
	record Elements(CallExpression elements, @Nullable CallExpression key) {

		void invalidate(CachedCache cache, MethodInvocation invocation, @Nullable Object result) {
			Object value = this.elements.getValue(invocation, result);
			if (value == null) {
				return;
			}
			Iterable<?> each = (value instanceof Object[] array) ? Arrays.asList(array)
					: (value instanceof Iterable<?> iterable) ? iterable : List.of(value);
			for (Object element : each) {
				cache.invalidate(CacheKey.ofValue((this.key != null) ? this.key.getValue(invocation, result, element)
						: element));
			}
		}

	}

}
