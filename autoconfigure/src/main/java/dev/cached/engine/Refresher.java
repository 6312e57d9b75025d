package dev.cached.engine;

import java.util.concurrent.RejectedExecutionException;

import org.jspecify.annotations.Nullable;

/**
 * The engine's seam for refresh-ahead ({@code refresh-after}, {@code early-refresh-beta}):
 * decides whether a read of a stored entry starts a background reload, runs reloads off
 * the caller's thread, and hears how they end. The engine keeps the single flight (one
 * reload per key, invalidation wins, an older reload never overwrites a newer value) and
 * the counting; an implementation keeps the executor, the probability and the logging.
 * One instance serves one cache; every method may be called by many threads at once.
 */
public interface Refresher {

	/**
	 * Whether a read of an entry starts a background reload now. Called on every hit of a
	 * cache that refreshes, so it must be cheap.
	 * @param ageNanos time since the entry was written
	 * @param remainingNanos time the entry has left to live, {@link Long#MAX_VALUE} when
	 * it has no ttl
	 * @param loadNanos how long the load that wrote the entry took, {@code 0} when unknown
	 * (an entry written by a put)
	 * @return whether to start a reload
	 */
	boolean isDue(long ageNanos, long remainingNanos, long loadNanos);

	/**
	 * Run a reload in the background, never on the calling thread.
	 * @param reload the reload
	 * @throws RejectedExecutionException if it cannot be run now
	 */
	void execute(Runnable reload);

	/**
	 * Told on the reloading thread after a reload returned a value.
	 * @param key the key
	 */
	void succeeded(Object key);

	/**
	 * Told after a reload failed or could not be started; the stored value stays until
	 * its ttl, and the next read that finds it due tries again.
	 * @param key the key
	 * @param failure what the method threw, or why the reload could not start
	 */
	void failed(Object key, Throwable failure);

	/**
	 * Creates the refresher of each cache whose settings ask for refresh-ahead.
	 */
	@FunctionalInterface
	interface Factory {

		/** A factory for engines without refresh-ahead: asking for it fails. */
		Factory NONE = (name, settings) -> null;

		/**
		 * Create the refresher of one cache.
		 * @param cacheName the cache name
		 * @param settings its effective settings ({@link CacheSettings#isRefreshing()})
		 * @return the refresher, or {@code null} if this factory cannot refresh
		 */
		@Nullable Refresher create(String cacheName, CacheSettings settings);

	}

}
