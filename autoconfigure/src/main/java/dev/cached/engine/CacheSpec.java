package dev.cached.engine;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Settings as one source declares them; {@code null} means "not set here".
 *
 * @param ttl time to live after write
 * @param maxSize maximum number of entries
 * @param waitTimeout how long a joined caller waits before running the method itself
 * @param cacheNullValues whether {@code null} results are stored
 * @param refreshAfter age after which a read starts a background reload
 * @param ttlJitter fraction of the ttl by which each entry's ttl varies, in [0, 0.5]
 * @param earlyRefreshBeta the beta of probabilistic early refresh (XFetch), above zero
 * @param remote whether the cache keeps its values in the tier shared by every instance
 */
public record CacheSpec(@Nullable Duration ttl, @Nullable Long maxSize, @Nullable Duration waitTimeout,
		@Nullable Boolean cacheNullValues, @Nullable Duration refreshAfter, @Nullable Double ttlJitter,
		@Nullable Double earlyRefreshBeta, @Nullable Boolean remote) {

	/** A spec that sets nothing. */
	public static final CacheSpec NONE = new CacheSpec(null, null, null, null);

	/**
	 * Create a spec that sets none of the expiry-stampede settings.
	 * @param ttl time to live after write
	 * @param maxSize maximum number of entries
	 * @param waitTimeout how long a joined caller waits before running the method itself
	 * @param cacheNullValues whether {@code null} results are stored
	 */
	public CacheSpec(@Nullable Duration ttl, @Nullable Long maxSize, @Nullable Duration waitTimeout,
			@Nullable Boolean cacheNullValues) {
		this(ttl, maxSize, waitTimeout, cacheNullValues, null, null, null, null);
	}

	/**
	 * Create a spec that does not say whether the cache is remote.
	 * @param ttl time to live after write
	 * @param maxSize maximum number of entries
	 * @param waitTimeout how long a joined caller waits before running the method itself
	 * @param cacheNullValues whether {@code null} results are stored
	 * @param refreshAfter age after which a read starts a background reload
	 * @param ttlJitter fraction of the ttl by which each entry's ttl varies
	 * @param earlyRefreshBeta the beta of probabilistic early refresh
	 */
	public CacheSpec(@Nullable Duration ttl, @Nullable Long maxSize, @Nullable Duration waitTimeout,
			@Nullable Boolean cacheNullValues, @Nullable Duration refreshAfter, @Nullable Double ttlJitter,
			@Nullable Double earlyRefreshBeta) {
		this(ttl, maxSize, waitTimeout, cacheNullValues, refreshAfter, ttlJitter, earlyRefreshBeta, null);
	}

}
