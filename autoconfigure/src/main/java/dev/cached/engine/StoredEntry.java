package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * A stored value with the metadata refresh-ahead reads: when it was written, in ticker
 * nanoseconds. Only caches that refresh store these; the others store the (masked) value
 * itself, so their entries stay as small as they were. A cache whose entries also need
 * their own expiry and load time (early refresh, ttl jitter) stores a {@link Timed}.
 * Immutable: each write stores a new instance, so identity tells a reload whether the
 * entry it started from is still the one stored.
 */
class StoredEntry {

	/** The masked value ({@link NullValue}). */
	final Object value;

	final long writtenAt;

	StoredEntry(Object value, long writtenAt) {
		this.value = value;
		this.writtenAt = writtenAt;
	}

	/**
	 * Return when this entry expires.
	 * @param ttlNanos the cache's ttl, or a negative number for none
	 * @return the ticker time of expiry, {@link Long#MAX_VALUE} for never
	 */
	long expiresAt(long ttlNanos) {
		return (ttlNanos < 0 || this.writtenAt > Long.MAX_VALUE - ttlNanos) ? Long.MAX_VALUE
				: this.writtenAt + ttlNanos;
	}

	/**
	 * Return how long the load that wrote this entry took.
	 * @return the load time in nanoseconds, {@code 0} when not kept
	 */
	long loadNanos() {
		return 0;
	}

	/**
	 * Return the masked value of a stored object, whether or not it carries metadata.
	 * @param stored the stored object, or {@code null}
	 * @return the masked value, or {@code null}
	 */
	static @Nullable Object masked(@Nullable Object stored) {
		return (stored instanceof StoredEntry entry) ? entry.value : stored;
	}

	/**
	 * An entry with its own expiry (its drawn ttl) and its load time.
	 */
	static final class Timed extends StoredEntry {

		/** {@link Long#MAX_VALUE} when the entry has no ttl. */
		private final long expiresAt;

		private final long loadNanos;

		Timed(Object value, long writtenAt, long expiresAt, long loadNanos) {
			super(value, writtenAt);
			this.expiresAt = expiresAt;
			this.loadNanos = loadNanos;
		}

		@Override
		long expiresAt(long ttlNanos) {
			return this.expiresAt;
		}

		@Override
		long loadNanos() {
			return this.loadNanos;
		}

	}

}
