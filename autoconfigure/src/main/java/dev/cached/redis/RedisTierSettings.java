package dev.cached.redis;

import java.time.Duration;

/**
 * How the Redis tier behaves.
 *
 * @param keyPrefix the prefix of every key and channel the tier uses
 * @param timeout the bound of every Redis call
 * @param leaseTime how long a loading instance's lease lives unless renewed (it is renewed
 * while the load runs); after an instance dies, another takes over within this time
 * @param retryAfter how long an instance stops calling Redis after a failed call
 * @param clearOnReconnect whether an instance clears its local stores when Redis is
 * back after an outage (invalidations sent meanwhile were missed)
 */
public record RedisTierSettings(String keyPrefix, Duration timeout, Duration leaseTime, Duration retryAfter,
		boolean clearOnReconnect) {

	/**
	 * Return the name of the channel that carries invalidations and load notifications.
	 * @return the channel
	 */
	public String channel() {
		return this.keyPrefix + "events";
	}

}
