package dev.cached.actuate.cache;

import java.util.concurrent.Callable;

import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import org.jspecify.annotations.Nullable;

import org.springframework.cache.Cache;
import org.springframework.cache.support.SimpleValueWrapper;

/**
 * A Spring {@link Cache} over one {@link CachedCache}. Reads ({@link #get(Object)}) look
 * at the store without counting; {@link #get(Object, Callable)} goes through single
 * flight like a {@code @Cached} call (and is counted like one); {@link #evict(Object)}
 * and {@link #clear()} invalidate, so a load running meanwhile is not stored.
 */
public class CachedSpringCache implements Cache {

	private static final Loader CALLABLE_LOADER = (context) -> ((Callable<?>) context).call();

	private final CachedCache cache;

	/**
	 * Create a view over {@code cache}.
	 * @param cache the cache
	 */
	public CachedSpringCache(CachedCache cache) {
		this.cache = cache;
	}

	@Override
	public String getName() {
		return this.cache.getName();
	}

	@Override
	public CachedCache getNativeCache() {
		return this.cache;
	}

	@Override
	public @Nullable ValueWrapper get(Object key) {
		Object stored = this.cache.peek(key);
		return (stored != null) ? new SimpleValueWrapper(CachedCache.unmask(stored)) : null;
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T> @Nullable T get(Object key, @Nullable Class<T> type) {
		ValueWrapper wrapper = get(key);
		Object value = (wrapper != null) ? wrapper.get() : null;
		if (value != null && type != null && !type.isInstance(value)) {
			throw new IllegalStateException(
					"Cached value is not of required type [" + type.getName() + "]: " + value.getClass().getName());
		}
		return (T) value;
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T> @Nullable T get(Object key, Callable<T> valueLoader) {
		try {
			return (T) this.cache.get(key, CALLABLE_LOADER, valueLoader);
		}
		catch (Throwable ex) {
			throw new ValueRetrievalException(key, valueLoader, ex);
		}
	}

	@Override
	public void put(Object key, @Nullable Object value) {
		this.cache.put(key, value);
	}

	@Override
	public void evict(Object key) {
		this.cache.invalidate(key);
	}

	@Override
	public void clear() {
		this.cache.invalidateAll();
	}

}
