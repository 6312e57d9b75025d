package dev.cached.redis;

import java.time.Duration;

/**
 * How the Redis tier behaves.
 *
 * @param keyPrefix the prefix of every key and channel the tier uses
 * @param timeout the bound of every Redis call
 * @param leaseTime how long a loading instance's lease lives unless renewed (it is renewed
 * while the load runs); after an instance dies, another takes over within this time
 * @param retryAfter during an outage, how long an instance stops calling Redis before it
 * tries again
 * @param clearOnReconnect whether an instance clears its local stores when Redis is
 * back after an outage (invalidations sent meanwhile were missed)
 * @param maxStaleness how long, at most, an instance serves a value invalidated elsewhere
 * once Redis answers: every cache's version in Redis is checked every half of it
 * @param maxValueSize the largest entry, in bytes, that is read from or written to Redis
 * @param maxPending how many writes (invalidations, clears, puts) an instance keeps while
 * Redis does not take them; past it, the kept writes of each cache collapse into a clear
 * of that cache
 */
public record RedisTierSettings(String keyPrefix, Duration timeout, Duration leaseTime, Duration retryAfter,
		boolean clearOnReconnect, Duration maxStaleness, long maxValueSize, int maxPending) {

	/** The default of {@code cached.redis.max-staleness}. */
	public static final Duration DEFAULT_MAX_STALENESS = Duration.ofSeconds(5);

	/** The default of {@code cached.redis.max-value-size}: 1 MB. */
	public static final long DEFAULT_MAX_VALUE_SIZE = 1024 * 1024;

	/** The default of {@code cached.redis.max-pending}. */
	public static final int DEFAULT_MAX_PENDING = 10000;

	/**
	 * Settings with the default {@code max-staleness}, {@code max-value-size} and
	 * {@code max-pending}.
	 * @param keyPrefix the prefix of every key and channel the tier uses
	 * @param timeout the bound of every Redis call
	 * @param leaseTime how long a loading instance's lease lives unless renewed
	 * @param retryAfter how long an instance stops calling Redis in an outage
	 * @param clearOnReconnect whether an instance clears its local stores when an outage ends
	 */
	public RedisTierSettings(String keyPrefix, Duration timeout, Duration leaseTime, Duration retryAfter,
			boolean clearOnReconnect) {
		this(keyPrefix, timeout, leaseTime, retryAfter, clearOnReconnect, DEFAULT_MAX_STALENESS,
				DEFAULT_MAX_VALUE_SIZE, DEFAULT_MAX_PENDING);
	}

	/**
	 * Return the name of the channel that carries invalidations and load notifications.
	 * @return the channel
	 */
	public String channel() {
		return this.keyPrefix + "events";
	}

}
