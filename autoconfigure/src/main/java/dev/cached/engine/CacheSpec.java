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
 */
public record CacheSpec(@Nullable Duration ttl, @Nullable Long maxSize, @Nullable Duration waitTimeout,
		@Nullable Boolean cacheNullValues) {

	/** A spec that sets nothing. */
	public static final CacheSpec NONE = new CacheSpec(null, null, null, null);

}
