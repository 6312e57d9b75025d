package dev.cached.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one cache. Every call is counted exactly once as a hit or a miss:
 * hits + misses = calls that went through the cache.
 * <ul>
 * <li>hit: answered from the store or by joining a running load;</li>
 * <li>miss: ran the method (including a joined caller whose wait timed out);</li>
 * <li>coalesced: joined a running load (also counted as hits);</li>
 * <li>load success/failure: executions of the method, with their total time.</li>
 * </ul>
 * All counters are monotonic except where a joined caller times out (its hit and
 * coalesced counts move to miss) or starts over after the owner's interruption (they
 * move to where its retry counts).
 */
public final class CacheStatistics {

	private final LongAdder hits = new LongAdder();

	private final LongAdder misses = new LongAdder();

	private final LongAdder coalesced = new LongAdder();

	private final LongAdder loadSuccesses = new LongAdder();

	private final LongAdder loadFailures = new LongAdder();

	private final LongAdder totalLoadNanos = new LongAdder();

	private final LongAdder loadsRunning = new LongAdder();

	private final LongAdder puts = new LongAdder();

	private final LongAdder evictions = new LongAdder();

	/** Added by metrics binders at startup; called by the loading thread after each load. */
	private final List<LoadListener> loadListeners = new CopyOnWriteArrayList<>();

	void recordHit() {
		this.hits.increment();
	}

	void recordMiss() {
		this.misses.increment();
	}

	void recordCoalesced() {
		this.coalesced.increment();
	}

	void recordTimedOutJoin() {
		this.hits.decrement();
		this.coalesced.decrement();
	}

	/**
	 * A joined caller starts over because the owner's interruption ended the load: its
	 * join is taken back, and the retry counts it again as the owner or a joiner.
	 */
	void recordLeftJoin() {
		this.hits.decrement();
		this.coalesced.decrement();
	}

	void loadStarted() {
		this.loadsRunning.increment();
	}

	void recordLoadSuccess(long nanos) {
		this.loadsRunning.decrement();
		this.loadSuccesses.increment();
		this.totalLoadNanos.add(nanos);
		notifyListeners(nanos, true);
	}

	void recordLoadFailure(long nanos) {
		this.loadsRunning.decrement();
		this.loadFailures.increment();
		this.totalLoadNanos.add(nanos);
		notifyListeners(nanos, false);
	}

	private void notifyListeners(long nanos, boolean success) {
		for (LoadListener listener : this.loadListeners) {
			listener.loaded(nanos, success);
		}
	}

	/**
	 * Call {@code listener} after every execution of the method from now on, on the
	 * thread that ran it (for example to record it in a timer).
	 * @param listener the listener
	 */
	public void addLoadListener(LoadListener listener) {
		this.loadListeners.add(listener);
	}

	void recordPut() {
		this.puts.increment();
	}

	void recordEviction() {
		this.evictions.increment();
	}

	public long hits() {
		return this.hits.sum();
	}

	public long misses() {
		return this.misses.sum();
	}

	public long coalesced() {
		return this.coalesced.sum();
	}

	public long loadSuccesses() {
		return this.loadSuccesses.sum();
	}

	public long loadFailures() {
		return this.loadFailures.sum();
	}

	/**
	 * Return the total time spent in loads, successful or failed.
	 * @return the total load time in nanoseconds
	 */
	public long totalLoadNanos() {
		return this.totalLoadNanos.sum();
	}

	/**
	 * Return the number of method executions running now.
	 * @return the loads in flight
	 */
	public long inFlight() {
		return this.loadsRunning.sum();
	}

	public long puts() {
		return this.puts.sum();
	}

	public long evictions() {
		return this.evictions.sum();
	}

	/**
	 * Told about each execution of the cached method.
	 */
	@FunctionalInterface
	public interface LoadListener {

		/**
		 * Called after an execution.
		 * @param nanos how long it took
		 * @param success whether it returned rather than threw
		 */
		void loaded(long nanos, boolean success);

	}

}
