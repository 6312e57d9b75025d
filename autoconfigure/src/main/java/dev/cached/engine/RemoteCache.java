package dev.cached.engine;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * One cache's view of a tier that several instances of the application share (such as
 * Redis): it carries this instance's invalidations and puts to the others, and, for a
 * cache whose settings say {@link CacheSettings#isRemote() remote}, holds the values
 * themselves and a cluster-wide lease per key being loaded.
 * <p>
 * The engine calls it after a local miss, around a load and on every write. An
 * implementation never throws and bounds each call: a tier that fails or is slow answers
 * as if it held nothing, so the engine loads locally (the caller always gets its value).
 * Whatever it needs to remember about one load (its lease) it keeps in
 * {@link SingleFlight.Load#attachment()}.
 */
public interface RemoteCache {

	/**
	 * Look up {@code key} in the shared tier after a local miss, on the thread of the
	 * load's owner. If another instance is loading the key (it holds the lease), wait for
	 * its value up to {@code waitTimeout}; if nobody is, take the lease for {@code load},
	 * so that {@link #write} stores this instance's value. Called only for a remote cache.
	 * @param key the key
	 * @param load the local load that missed
	 * @param waitTimeout how long to wait for another instance's load, {@code null} for as
	 * long as its lease lives
	 * @return the value found with its remaining time to live, or {@code null}
	 * to load locally (with the lease, or without it after a fault or a wait timeout)
	 */
	@Nullable Found lookup(Object key, SingleFlight.Load load, @Nullable Duration waitTimeout);

	/**
	 * Read {@code key} from the shared tier without taking a lease or waiting: a
	 * background reload first looks whether another instance has stored a fresher value.
	 * Called only for a remote cache.
	 * @param key the key
	 * @return the value found with its remaining time to live, or {@code null}
	 */
	@Nullable Found peek(Object key);

	/**
	 * Take the lease of {@code key} for a background reload, without waiting.
	 * @param key the key
	 * @param load the reload's load
	 * @return {@code true} if this instance may reload the key (it took the lease, or the
	 * tier cannot tell), {@code false} if another instance holds it
	 */
	boolean tryLease(Object key, SingleFlight.Load load);

	/**
	 * Store the value of a load that holds the lease, with the given time to live, only if
	 * the lease is still this load's (no invalidation anywhere took it away meanwhile).
	 * Releases the lease and wakes the instances waiting for it.
	 * @param key the key
	 * @param value the value, possibly {@code null}
	 * @param load the load
	 * @param ttlNanos the time to live, or a negative number for none
	 */
	void write(Object key, @Nullable Object value, SingleFlight.Load load, long ttlNanos);

	/**
	 * End a load without a value for the shared tier (a failure, a veto, an
	 * invalidation): release its lease, if it still holds one, and wake the waiters.
	 * @param key the key
	 * @param load the load
	 */
	void release(Object key, SingleFlight.Load load);

	/**
	 * Remove {@code key} from the shared tier (and any lease on it, so that no load running
	 * anywhere can write it) and tell every other instance to drop it.
	 * @param key the key
	 */
	void invalidate(Object key);

	/**
	 * Remove every key of the cache from the shared tier and tell every other instance to
	 * clear the cache.
	 */
	void invalidateAll();

	/**
	 * Store a value put directly ({@code @CachePut}), winning over any load of the key
	 * running anywhere, and tell every other instance to drop its copy.
	 * @param key the key
	 * @param value the value, possibly {@code null}
	 * @param ttlNanos the time to live, or a negative number for none
	 */
	void put(Object key, @Nullable Object value, long ttlNanos);

	/**
	 * A value found in the shared tier.
	 *
	 * @param value the value, possibly {@code null}
	 * @param remainingNanos its remaining time to live there, or a negative number for none
	 */
	record Found(@Nullable Object value, long remainingNanos) {
	}

}
