package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * A stored value with the metadata refresh-ahead reads: when it was written, when it
 * expires and how long its load took, all in ticker nanoseconds. Only caches that refresh
 * store these; the others store the (masked) value itself, so their entries stay as small
 * as they were. Immutable: each write stores a new instance, so identity tells a reload
 * whether the entry it started from is still the one stored.
 */
final class StoredEntry {

	/** The masked value ({@link NullValue}). */
	final Object value;

	final long writtenAt;

	/** {@link Long#MAX_VALUE} when the entry has no ttl. */
	final long expiresAt;

	final long loadNanos;

	StoredEntry(Object value, long writtenAt, long expiresAt, long loadNanos) {
		this.value = value;
		this.writtenAt = writtenAt;
		this.expiresAt = expiresAt;
		this.loadNanos = loadNanos;
	}

	/**
	 * Return the masked value of a stored object, whether or not it carries metadata.
	 * @param stored the stored object, or {@code null}
	 * @return the masked value, or {@code null}
	 */
	static @Nullable Object masked(@Nullable Object stored) {
		return (stored instanceof StoredEntry entry) ? entry.value : stored;
	}

}
