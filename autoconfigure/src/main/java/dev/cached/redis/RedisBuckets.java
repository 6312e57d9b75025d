package dev.cached.redis;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What one instance knows of one cache's generation and of its buckets' versions in Redis
 * ({@link RedisKeyLayout}):
 * <ul>
 * <li>the <b>generation</b> its bucket scripts name entries with: unknown at start and
 * after a clear or repair by another instance (the next call reads the cache's meta hash
 * first), learned from the meta hash ({@link #learned}), raised by a bucket that used a
 * higher one ({@link #raise}); it is never lowered, and the highest one seen is kept
 * ({@link #highest}) so that a meta hash found below it is known to have gone back in
 * time;</li>
 * <li>the <b>least version</b> of each bucket: the highest version of the bucket seen in a
 * reply or a message. A bucket found below it went back in time: nothing is read from it,
 * and Redis is repaired.</li>
 * </ul>
 * Thread-safe: the generation under this object's lock, the versions in an
 * {@link AtomicLongArray}.
 */
final class RedisBuckets {

	private final AtomicLongArray least = new AtomicLongArray(RedisKeyLayout.BUCKETS);

	/** The highest generation seen; 0 before any. */
	private long generation;

	/** Whether {@link #generation} is the one in Redis as far as this instance knows. */
	private boolean known;

	/** {@link #generation} if {@link #known}, else -1: read without the lock, on every call. */
	private volatile long current = -1;

	/** Raised by each {@link #forget}: a meta hash read before it does not make the generation known. */
	private long epoch;

	/** The highest generation used by a read that found its bucket behind; -1 if none waits for a repair. */
	private long behindAt = -1;

	/**
	 * Return the generation to name entries with.
	 * @return the generation, or -1 if it must be read from the cache's meta hash first
	 */
	long generation() {
		return this.current;
	}

	/** The highest generation seen: the cache's meta hash must hold at least this one. */
	synchronized long highest() {
		return this.generation;
	}

	/** The epoch to give {@link #learned}, taken before the meta hash is read. */
	synchronized long epoch() {
		return this.epoch;
	}

	/**
	 * The cache's meta hash held generation {@code g}.
	 * @param g the generation read
	 * @param epoch what {@link #epoch()} was before it was read
	 * @return the generation to use: {@code g}, or the higher one seen before
	 */
	synchronized long learned(long g, long epoch) {
		this.generation = Math.max(this.generation, g);
		if (epoch == this.epoch) {
			this.known = true;
		}
		this.current = this.known ? this.generation : -1;
		return this.generation;
	}

	/**
	 * A bucket or a repair reported generation {@code g}: use it from now on if higher.
	 * @param g the generation
	 * @param reread whether to read the cache's meta hash again before the next call
	 */
	synchronized void raise(long g, boolean reread) {
		this.generation = Math.max(this.generation, g);
		this.current = this.known ? this.generation : -1;
		if (reread) {
			forget();
		}
	}

	/** A clear or a repair may have raised the generation: read it again before the next call. */
	synchronized void forget() {
		this.known = false;
		this.current = -1;
		this.epoch++;
	}

	/**
	 * Return the least version of a bucket: Redis must hold at least this one.
	 * @param bucket the bucket
	 * @return the version, 0 if none seen
	 */
	long least(int bucket) {
		return this.least.get(bucket);
	}

	/**
	 * A reply or a message showed version {@code v} of a bucket.
	 * @param bucket the bucket
	 * @param v the version
	 */
	void saw(int bucket, long v) {
		this.least.accumulateAndGet(bucket, v, Math::max);
	}

	/**
	 * A read in generation {@code g} found a bucket below its least version.
	 * @param g the generation the read used
	 */
	synchronized void behind(long g) {
		this.behindAt = Math.max(this.behindAt, g);
	}

	/**
	 * Return and forget the highest generation used by reads that found a bucket behind.
	 * @return the generation, -1 if none
	 */
	synchronized long takeBehind() {
		long at = this.behindAt;
		this.behindAt = -1;
		return at;
	}

}
