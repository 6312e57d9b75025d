package dev.cached.redis;

/**
 * A Redis command that did not happen or did not succeed: the caller goes local. Thrown
 * by {@link RedisConnection#call} and the outcome of a failed
 * {@link RedisConnection#callAsync}; one shared instance per kind, without a stack trace,
 * since it is expected and frequent during an outage.
 */
final class Unavailable extends Exception {

	private static final long serialVersionUID = 1L;

	/** Not sent: Redis is in an outage's quiet window, or the caller was interrupted. */
	static final Unavailable QUIET = new Unavailable();

	/** Failed or late: a fault, counted and logged by the {@link RedisBreaker}. */
	static final Unavailable FAILED = new Unavailable();

	/** Not sent: the connection is still being opened while the tier starts; no fault. */
	static final Unavailable STARTING = new Unavailable();

	private Unavailable() {
		super(null, null, false, false);
	}

}
