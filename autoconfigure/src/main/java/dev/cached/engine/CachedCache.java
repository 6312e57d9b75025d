package dev.cached.engine;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executor;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * One cache: a Caffeine store, the {@link SingleFlight} in front of it, and its
 * {@link CacheStatistics}. A call for a key is answered from the store, or by joining
 * the running load of that key, or by running the method as the owner of a new load.
 */
public final class CachedCache {

	private final String name;

	private final CacheSettings settings;

	private final Cache<Object, Object> store;

	private final CacheStatistics statistics = new CacheStatistics();

	private final SingleFlight singleFlight;

	private final Set<String> methods = new CopyOnWriteArraySet<>();

	/**
	 * Create a cache.
	 * @param name the cache name
	 * @param settings its effective settings
	 * @param ticker the time source for expiry
	 * @param executor the executor for Caffeine's maintenance work
	 */
	public CachedCache(String name, CacheSettings settings, Ticker ticker, Executor executor) {
		this.name = name;
		this.settings = settings;
		Caffeine<Object, Object> builder = Caffeine.newBuilder()
			.maximumSize(settings.maximumSize())
			.ticker(ticker)
			.executor(executor)
			.evictionListener((key, value, cause) -> this.statistics.recordEviction());
		Duration ttl = settings.ttl().value();
		if (ttl != null) {
			builder.expireAfterWrite(ttl);
		}
		this.store = builder.build();
		this.singleFlight = new SingleFlight(name, new CaffeineStore(), this.statistics,
				settings.waitTimeout().value());
	}

	/**
	 * Return the value for {@code key}: from the store, from the running load, or by
	 * running {@code loader} (see {@link SingleFlight} for who runs and who waits).
	 * @param key the key
	 * @param loader the method, run only if this caller owns the load
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return the value, possibly {@code null}
	 * @throws Throwable what {@link SingleFlight#load(Object, SingleFlight.Loader, Object)}
	 * throws
	 */
	public @Nullable Object get(Object key, SingleFlight.Loader loader, Object context) throws Throwable {
		Object stored = this.store.getIfPresent(key);
		if (stored != null) {
			this.statistics.recordHit();
			return NullValue.unmask(stored);
		}
		return this.singleFlight.load(key, loader, context);
	}

	/**
	 * Return a future of the value for {@code key}, for a method whose result is a future
	 * or a publisher: completed at once from the store, or by the running load, or by
	 * starting {@code loader} as the owner of a new load (see
	 * {@link SingleFlight#loadAsync(Object, SingleFlight.AsyncLoader, Object)}). Never
	 * blocks; the future is this caller's own.
	 * @param key the key
	 * @param loader the method, started only if this caller owns the load
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return this caller's future of the value, possibly completed with {@code null}
	 */
	public CompletableFuture<@Nullable Object> getAsync(Object key, SingleFlight.AsyncLoader loader,
			Object context) {
		Object stored = this.store.getIfPresent(key);
		if (stored != null) {
			this.statistics.recordHit();
			return CompletableFuture.completedFuture(NullValue.unmask(stored));
		}
		return this.singleFlight.loadAsync(key, loader, context);
	}

	/**
	 * Return the stored value without loading or counting, for views such as Spring's
	 * {@code Cache}.
	 * @param key the key
	 * @return the masked value ({@code null} results come back as a marker), or
	 * {@code null} if absent
	 */
	public @Nullable Object peek(Object key) {
		return this.store.getIfPresent(key);
	}

	/**
	 * Unmask a value returned by {@link #peek(Object)}.
	 * @param stored the stored value
	 * @return the value it stands for
	 */
	public static @Nullable Object unmask(Object stored) {
		return NullValue.unmask(stored);
	}

	/**
	 * Store a value directly, as a finished load would.
	 * @param key the key
	 * @param value the value
	 */
	public void put(Object key, @Nullable Object value) {
		if (value == null && !this.settings.isCacheNullValues()) {
			return;
		}
		this.store.put(key, NullValue.mask(value));
		this.statistics.recordPut();
	}

	/**
	 * Remove {@code key}. A load of it running now still answers its callers, but its
	 * result is not stored.
	 * @param key the key
	 */
	public void invalidate(Object key) {
		this.singleFlight.invalidate(key);
		this.store.invalidate(key);
	}

	/**
	 * Remove every entry. Loads running now still answer their callers, but their results
	 * are not stored.
	 */
	public void invalidateAll() {
		this.singleFlight.invalidateAll();
		this.store.invalidateAll();
	}

	/**
	 * Return the cache name.
	 * @return the name
	 */
	public String getName() {
		return this.name;
	}

	/**
	 * Return the effective settings.
	 * @return the settings
	 */
	public CacheSettings getSettings() {
		return this.settings;
	}

	/**
	 * Return the counters.
	 * @return the statistics
	 */
	public CacheStatistics getStatistics() {
		return this.statistics;
	}

	/**
	 * Return the approximate number of stored entries.
	 * @return the size
	 */
	public long estimatedSize() {
		return this.store.estimatedSize();
	}

	/**
	 * Return the number of keys with a load in flight.
	 * @return the keys in flight
	 */
	public int inFlightKeys() {
		return this.singleFlight.inFlightKeys();
	}

	/**
	 * Return the methods that use this cache, e.g.
	 * {@code com.example.RuleService.getAllRules()}.
	 * @return the method descriptions, in registration order
	 */
	public List<String> getMethods() {
		return List.copyOf(this.methods);
	}

	void addMethod(String method) {
		this.methods.add(method);
	}

	/**
	 * Return the underlying Caffeine cache, for tests and integrations. Writing to it
	 * bypasses single flight and statistics.
	 * @return the store
	 */
	public Cache<Object, Object> getNativeCache() {
		return this.store;
	}

	private final class CaffeineStore implements SingleFlight.Store {

		@Override
		public @Nullable Object lookup(Object key) {
			return CachedCache.this.store.getIfPresent(key);
		}

		@Override
		public void publish(Object key, @Nullable Object value, SingleFlight.Load load) {
			if (value == null && !CachedCache.this.settings.isCacheNullValues()) {
				return;
			}
			Object masked = NullValue.mask(value);
			Object result = CachedCache.this.store.asMap()
				.compute(key, (k, old) -> load.isInvalidated() ? old : masked);
			if (result == masked) {
				CachedCache.this.statistics.recordPut();
			}
		}

	}

}
