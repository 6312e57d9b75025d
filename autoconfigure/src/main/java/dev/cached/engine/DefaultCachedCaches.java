package dev.cached.engine;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.cached.CachedCaches;
import dev.cached.key.CacheKey;
import org.jspecify.annotations.Nullable;

/**
 * The {@link CachedCaches} API over a {@link CacheRegistry}: each cache is looked up by
 * name when asked for, so caches of beans created later are found too.
 */
public final class DefaultCachedCaches implements CachedCaches {

	private final CacheRegistry registry;

	/**
	 * Create the API over {@code registry}.
	 * @param registry the caches
	 */
	public DefaultCachedCaches(CacheRegistry registry) {
		this.registry = registry;
	}

	@Override
	public List<String> getCacheNames() {
		return List.copyOf(this.registry.getCacheNames());
	}

	@Override
	public Cache getCache(String name) {
		return findCache(name).orElseThrow(() -> new IllegalArgumentException("No @Cached method uses a cache named '"
				+ name + "'; known caches are " + this.registry.getCacheNames()));
	}

	@Override
	public Optional<Cache> findCache(String name) {
		CachedCache cache = this.registry.getCache(name);
		return (cache != null) ? Optional.of(new View(cache)) : Optional.empty();
	}

	/**
	 * Return the statistics of a cache as the API shows them.
	 * @param cache the cache
	 * @return a snapshot of its counters
	 */
	public static Statistics statistics(CachedCache cache) {
		CacheStatistics statistics = cache.getStatistics();
		return new Statistics(statistics.hits(), statistics.misses(), statistics.coalesced(),
				statistics.loadSuccesses(), statistics.loadFailures(), Duration.ofNanos(statistics.totalLoadNanos()),
				statistics.inFlight(), statistics.puts(), statistics.evictions(), cache.estimatedSize());
	}

	private record View(CachedCache cache) implements Cache {

		@Override
		public String getName() {
			return this.cache.getName();
		}

		@Override
		public @Nullable Object get(@Nullable Object key) {
			Object stored = this.cache.peek(CacheKey.ofValue(key));
			return (stored != null) ? CachedCache.unmask(stored) : null;
		}

		@Override
		public boolean contains(@Nullable Object key) {
			return this.cache.peek(CacheKey.ofValue(key)) != null;
		}

		@Override
		public void put(@Nullable Object key, @Nullable Object value) {
			this.cache.put(CacheKey.ofValue(key), value);
		}

		@Override
		public void invalidate(@Nullable Object key) {
			this.cache.invalidate(CacheKey.ofValue(key));
		}

		@Override
		public void invalidateAll() {
			this.cache.invalidateAll();
		}

		@Override
		public Statistics getStatistics() {
			return statistics(this.cache);
		}

		@Override
		public String toString() {
			return "CachedCaches.Cache '" + this.cache.getName() + "'";
		}

	}

}
