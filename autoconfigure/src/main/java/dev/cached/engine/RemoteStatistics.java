package dev.cached.engine;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one cache's calls to the tier shared by several instances, recorded by the
 * tier; each only ever grows.
 */
public final class RemoteStatistics {

	private final LongAdder hits = new LongAdder();

	private final LongAdder misses = new LongAdder();

	private final LongAdder errors = new LongAdder();

	private final LongAdder writes = new LongAdder();

	/** Record a local miss answered by the shared tier. */
	public void recordHit() {
		this.hits.increment();
	}

	/** Record a local miss the shared tier could not answer. */
	public void recordMiss() {
		this.misses.increment();
	}

	/** Record a call to the shared tier that failed, timed out, or read a payload that is not ours. */
	public void recordError() {
		this.errors.increment();
	}

	/** Record a value written to the shared tier. */
	public void recordWrite() {
		this.writes.increment();
	}

	/**
	 * Return the local misses answered by the shared tier.
	 * @return the hits
	 */
	public long hits() {
		return this.hits.sum();
	}

	/**
	 * Return the local misses the shared tier could not answer.
	 * @return the misses
	 */
	public long misses() {
		return this.misses.sum();
	}

	/**
	 * Return the failed calls to the shared tier.
	 * @return the errors
	 */
	public long errors() {
		return this.errors.sum();
	}

	/**
	 * Return the values written to the shared tier.
	 * @return the writes
	 */
	public long writes() {
		return this.writes.sum();
	}

}
