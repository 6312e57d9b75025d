package dev.cached;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.cached.key.CacheKey;
import org.jspecify.annotations.Nullable;

/**
 * Programmatic access to the caches of {@link Cached @Cached} methods: look a cache up by
 * name, read, put, invalidate, and read its statistics. A bean of this type exists
 * whenever the starter is on the classpath; inject it where an annotation does not fit
 * (an event listener that invalidates, a warm-up, an admin task).
 * <p>
 * Together with the annotations, this is the stable API of the starter; the other
 * packages ({@code dev.cached.engine}, {@code dev.cached.aop}, ...) are internal and may
 * change in any release.
 * <p>
 * <b>Keys</b> follow the annotation's default key: pass what the method's arguments
 * would be. The key of a method without parameters is {@link #key() key()}, of a
 * one-parameter method the argument itself (so {@code cache.get(id)} reads the entry of
 * {@code getRule(id)}, and of {@code @Cached(key = "#id")}), and of a method with several
 * parameters {@link #key(Object...) key(a, b)}, compared deeply (arrays by content). A
 * custom {@code key} expression's value is the key itself.
 * <p>
 * Writes behave as {@link CacheInvalidate @CacheInvalidate} does: an invalidation while a
 * load of that key runs keeps that load's result out of the cache (its callers still get
 * it), and inside a Spring transaction every write takes effect at once and again when the
 * transaction completes (see {@code cached.transaction-aware}). With
 * {@code cached.enabled=false} every cache looked up is empty and ignores writes.
 *
 * <pre class="code">
 * caches.getCache("RuleService.getRule").invalidate("R-017");
 * caches.getCache("PriceService.price").invalidate(CachedCaches.key("EUR", 42L));
 * long hits = caches.getCache("RuleService.getAllRules").getStatistics().hits();
 * </pre>
 */
public interface CachedCaches {

	/**
	 * Return the names of every cache, sorted.
	 * @return the cache names
	 */
	List<String> getCacheNames();

	/**
	 * Return the cache of that name.
	 * @param name the cache name, as {@link Cached#name()} resolves it
	 * @return the cache
	 * @throws IllegalArgumentException if no {@code @Cached} method uses a cache of that
	 * name (the message lists the known names)
	 */
	Cache getCache(String name);

	/**
	 * Return the cache of that name, if any {@code @Cached} method uses it.
	 * @param name the cache name
	 * @return the cache, or empty
	 */
	Optional<Cache> findCache(String name);

	/**
	 * Return the key that the arguments of a call form by default: no arguments give the
	 * empty key, one argument the argument itself, several a composite key compared
	 * deeply.
	 * @param arguments the arguments of the call
	 * @return the key
	 */
	static Object key(@Nullable Object... arguments) {
		return CacheKey.of(arguments);
	}

	/**
	 * One cache.
	 */
	interface Cache {

		/**
		 * Return the cache name.
		 * @return the name
		 */
		String getName();

		/**
		 * Return the value stored for {@code key}, without loading and without counting a
		 * hit or a miss.
		 * @param key the key (see {@link CachedCaches})
		 * @return the value, or {@code null} if none is stored (or a {@code null} result
		 * is stored: {@link #contains(Object)} tells the two apart)
		 */
		@Nullable Object get(@Nullable Object key);

		/**
		 * Return whether a value (possibly a {@code null} result) is stored for
		 * {@code key}.
		 * @param key the key
		 * @return whether an entry exists
		 */
		boolean contains(@Nullable Object key);

		/**
		 * Store a value for {@code key}, as a finished load would (a {@code null} value
		 * is ignored when the cache does not store {@code null} results).
		 * @param key the key
		 * @param value the value
		 */
		void put(@Nullable Object key, @Nullable Object value);

		/**
		 * Remove the entry of {@code key}; a load of it running now still answers its
		 * callers, but its result is not stored.
		 * @param key the key
		 */
		void invalidate(@Nullable Object key);

		/**
		 * Remove every entry; loads running now still answer their callers, but their
		 * results are not stored.
		 */
		void invalidateAll();

		/**
		 * Return a snapshot of the cache's statistics.
		 * @return the statistics
		 */
		Statistics getStatistics();

	}

	/**
	 * A snapshot of a cache's counters, the numbers {@code /actuator/cached} shows.
	 *
	 * @param hits calls answered from the store or by joining a running load
	 * @param misses calls that ran the method
	 * @param coalesced calls that joined a running load (counted in hits too)
	 * @param loadSuccesses method executions that returned
	 * @param loadFailures method executions that threw
	 * @param totalLoadTime time spent in method executions
	 * @param inFlight loads running now
	 * @param puts values stored
	 * @param evictions entries evicted for size or expiry
	 * @param size the approximate number of entries
	 */
	record Statistics(long hits, long misses, long coalesced, long loadSuccesses, long loadFailures,
			Duration totalLoadTime, long inFlight, long puts, long evictions, long size) {

		/** The statistics of a cache that has seen nothing. */
		public static final Statistics EMPTY = new Statistics(0, 0, 0, 0, 0, Duration.ZERO, 0, 0, 0, 0);

	}

}
