package dev.cached.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one cache. Every call that gets an answer is counted exactly once as a
 * hit or a miss:
 * <ul>
 * <li>hit: answered from the store, or by a running load it joined, counted when the
 * shared outcome (value or failure) reaches it;</li>
 * <li>miss: ran the method (including a joined caller whose wait timed out);</li>
 * <li>coalesced: joined a running load, counted when it joins (a joiner that then
 * receives the outcome is also a hit; one whose wait timed out is a miss; one that was
 * interrupted is neither);</li>
 * <li>load success/failure: executions of the method, with their total time (background
 * reloads included);</li>
 * <li>refresh success/failure: background reloads by outcome.</li>
 * </ul>
 * Every counter is monotonic: nothing is ever subtracted, so two reads of a counter never
 * see it go down. Only {@link #inFlight()} is a level that goes up and down.
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

	private final LongAdder refreshSuccesses = new LongAdder();

	private final LongAdder refreshFailures = new LongAdder();

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

	void recordRefreshSuccess() {
		this.refreshSuccesses.increment();
	}

	void recordRefreshFailure() {
		this.refreshFailures.increment();
	}

	/**
	 * Return the background reloads that returned a value (stored or not).
	 * @return the successful refreshes
	 */
	public long refreshSuccesses() {
		return this.refreshSuccesses.sum();
	}

	/**
	 * Return the background reloads that failed or could not be started.
	 * @return the failed refreshes
	 */
	public long refreshFailures() {
		return this.refreshFailures.sum();
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
