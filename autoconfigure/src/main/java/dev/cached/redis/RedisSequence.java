package dev.cached.redis;

import java.util.TreeSet;

/**
 * What one instance knows of one cache's version in Redis ({@code v} of the cache's meta
 * hash, raised by every invalidation, put and clear, each with its message): the versions
 * whose messages it received, and the highest version it has seen anywhere (a message, a
 * script's reply, a check).
 * <p>
 * Redis publishes a cache's messages in version order, but this instance may apply them
 * on several threads, so a later version may be received a moment before an earlier one:
 * a version missing below one received (a <em>hole</em>) is a gap only once it has stayed
 * missing for a grace period ({@link #holeOlderThan}). A periodic check compares the
 * version in Redis with what was received ({@link #check}).
 * <p>
 * Every method is synchronized: messages arrive on the listening threads, replies on the
 * application's threads, checks on the tier's versions thread.
 */
final class RedisSequence {

	/** What a {@link #check} found. */
	enum Verdict {

		/** Every message up to what the previous check saw was received. */
		CURRENT,

		/** A message published before the previous check was not received: a gap. */
		BEHIND,

		/** Redis holds a lower version than this instance has seen: it went back in time. */
		OLDER

	}

	/** The highest version seen anywhere; 0 if none. */
	private long seen;

	/** Every version up to this one was received (or covered by a repair); -1 if not known yet. */
	private long received = -1;

	/** Versions received above {@link #received} + 1. */
	private final TreeSet<Long> ahead = new TreeSet<>();

	/** When the oldest hole appeared ({@link System#nanoTime()}); meaningful while {@link #ahead} is not empty. */
	private long holeSince;

	/** The version the previous check saw in Redis; -1 before the first. */
	private long checked = -1;

	/**
	 * A message of version {@code v} was received.
	 * @param v the version
	 * @return whether a hole is open now (a version below one received is missing)
	 */
	synchronized boolean received(long v) {
		saw(v);
		if (this.received < 0) {
			this.received = v;
			return false;
		}
		if (v <= this.received) {
			return !this.ahead.isEmpty();
		}
		if (this.ahead.isEmpty() && v != this.received + 1) {
			this.holeSince = System.nanoTime();
		}
		this.ahead.add(v);
		while (!this.ahead.isEmpty() && this.ahead.first() == this.received + 1) {
			this.received = this.ahead.pollFirst();
			if (!this.ahead.isEmpty()) {
				// a newer hole starts now
				this.holeSince = System.nanoTime();
			}
		}
		return !this.ahead.isEmpty();
	}

	/**
	 * Whether a hole has been open for longer than {@code graceNanos}.
	 * @param graceNanos how long a missing message may be late
	 * @return whether it is a gap
	 */
	synchronized boolean holeOlderThan(long graceNanos) {
		return !this.ahead.isEmpty() && System.nanoTime() - this.holeSince >= graceNanos;
	}

	/**
	 * A script's reply or a read showed version {@code v}.
	 * @param v the version
	 */
	synchronized void saw(long v) {
		this.seen = Math.max(this.seen, v);
	}

	/**
	 * Return the highest version seen anywhere: Redis must hold at least this one.
	 * @return the version, 0 if none
	 */
	synchronized long seen() {
		return this.seen;
	}

	/**
	 * Compare the version in Redis now with what was received.
	 * @param v the version in Redis now
	 * @param seenBefore what {@link #seen()} was before the check was sent: Redis went back
	 * in time only if it holds less than that (a version seen while the check was on its
	 * way, from a message of a later write, may be above {@code v})
	 * @param subscribed whether the subscription holds (else only the first two verdicts
	 * of the next check made while it holds count)
	 * @return the verdict
	 */
	synchronized Verdict check(long v, long seenBefore, boolean subscribed) {
		if (v < seenBefore) {
			return Verdict.OLDER;
		}
		long before = this.checked;
		this.checked = subscribed ? v : -1;
		this.seen = Math.max(this.seen, v);
		if (!subscribed) {
			return Verdict.CURRENT;
		}
		if (this.received < 0) {
			// nothing received yet: what Redis holds now is where the messages start
			this.received = v;
			return Verdict.CURRENT;
		}
		return (before >= 0 && this.received < before) ? Verdict.BEHIND : Verdict.CURRENT;
	}

	/**
	 * The cache was invalidated locally as a whole: every message up to version {@code v}
	 * is covered.
	 * @param v the version in Redis at that moment, or below
	 */
	synchronized void covered(long v) {
		this.seen = Math.max(this.seen, v);
		long upTo = Math.max(v, this.ahead.isEmpty() ? this.received : Math.max(this.received, this.ahead.last()));
		this.received = Math.max(this.received, upTo);
		this.ahead.clear();
	}

	/**
	 * The cache was invalidated locally as a whole, and the messages start anew (a
	 * subscription made again): the next message or check sets where they start.
	 */
	synchronized void restart() {
		this.received = -1;
		this.ahead.clear();
		this.checked = -1;
	}

	/**
	 * Redis went back in time and was repaired to version {@code v}: start from there.
	 * @param v the version Redis holds after the repair
	 */
	synchronized void repaired(long v) {
		this.seen = v;
		this.received = v;
		this.ahead.clear();
		this.checked = -1;
	}

}
