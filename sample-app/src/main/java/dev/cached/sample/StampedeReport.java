package dev.cached.sample;

import java.util.List;

/**
 * What the demo counted in both runs, and how it prints.
 *
 * @param calls the number of concurrent calls per run
 * @param naive the run through the naive check-then-act cache
 * @param cached the run through {@code @Cached}
 */
public record StampedeReport(int calls, Run naive, Run cached) {

	private static final int BAR_WIDTH = 40;

	/**
	 * Whether {@code @Cached} executed the load exactly once.
	 * @return whether the stampede was prevented
	 */
	public boolean singleFlight() {
		return this.cached.loads() == 1;
	}

	/**
	 * Render the report: the counts side by side, then a race diagram of the first
	 * threads of each run.
	 * @param timelineThreads how many threads each diagram shows
	 * @return the text
	 */
	public String format(int timelineThreads) {
		StringBuilder out = new StringBuilder();
		out.append(String.format("%nStampede demo: %d concurrent calls of RuleService.getAllRules() on a cold cache,%n",
				this.calls));
		out.append("released together by a barrier. One load reads and parses every rule file.\n\n");
		out.append(String.format("%-22s %26s %16s%n", "", "naive (check-then-act)", "@Cached"));
		row(out, "loads executed", this.naive.loads() + "", this.cached.loads() + "");
		row(out, "file reads", this.naive.fileReads() + "", this.cached.fileReads() + "");
		row(out, "hits / misses", this.naive.hits() + " / " + this.naive.misses(),
				this.cached.hits() + " / " + this.cached.misses());
		row(out, "coalesced", "-", this.cached.coalesced() + "");
		row(out, "wall time", millis(this.naive.wallNanos()) + " ms", millis(this.cached.wallNanos()) + " ms");
		timeline(out, "naive cache", this.naive, timelineThreads);
		timeline(out, "@Cached", this.cached, timelineThreads);
		out.append('\n');
		if (singleFlight()) {
			out.append(String.format("OK: @Cached executed the load once for %d concurrent calls; the naive cache "
					+ "executed it %d times.%n", this.calls, this.naive.loads()));
		}
		else {
			out.append(String.format("FAILED: @Cached executed the load %d times, expected once.%n",
					this.cached.loads()));
		}
		return out.toString();
	}

	private static void row(StringBuilder out, String label, String naive, String cached) {
		out.append(String.format("%-22s %26s %16s%n", label, naive, cached));
	}

	private static void timeline(StringBuilder out, String title, Run run, int threads) {
		int shown = Math.min(threads, run.traces().size());
		out.append(String.format("%n%s, first %d of %d threads by arrival (ms after the barrier opened)%n", title,
				shown, run.traces().size()));
		out.append(String.format("  %-8s %7s  %-17s %7s  %s%n", "thread", "arrived", "load (or)", "got it",
				"0 ms " + ".".repeat(BAR_WIDTH - 10) + " " + millis(run.wallNanos()) + " ms"));
		for (Trace trace : run.traces().subList(0, shown)) {
			String loaded = (trace.loadStartNanos() >= 0)
					? millis(trace.loadStartNanos()) + " - " + millis(trace.loadEndNanos())
					: joined(trace, run.traces()) ? "joined a load" : "cache hit";
			out.append(String.format("  %-8s %7s  %-17s %7s  |%s|%n", trace.thread(), millis(trace.arrivedNanos()),
					loaded, millis(trace.doneNanos()), bar(trace, run.wallNanos())));
		}
		out.append("  (' ' not called yet, '.' waiting, '#' loading the rule files, '*' got the rules)\n");
	}

	/**
	 * Whether a thread that did not load arrived before a load ended and got its value when
	 * that load ended (rather than finding a stored value at once). A thread may arrive
	 * before the loading thread enters the method and still join its load.
	 */
	private static boolean joined(Trace trace, List<Trace> traces) {
		for (Trace loader : traces) {
			if (loader.loadStartNanos() >= 0 && trace.arrivedNanos() <= loader.loadEndNanos()
					&& trace.doneNanos() >= loader.loadEndNanos()) {
				return true;
			}
		}
		return false;
	}

	private static String bar(Trace trace, long wall) {
		char[] bar = new char[BAR_WIDTH];
		int arrived = column(trace.arrivedNanos(), wall);
		int done = column(trace.doneNanos(), wall);
		for (int i = 0; i < BAR_WIDTH; i++) {
			bar[i] = (i < arrived || i > done) ? ' ' : '.';
		}
		if (trace.loadStartNanos() >= 0) {
			for (int i = column(trace.loadStartNanos(), wall); i <= column(trace.loadEndNanos(), wall); i++) {
				bar[i] = '#';
			}
		}
		bar[done] = '*';
		return new String(bar);
	}

	private static int column(long nanos, long wall) {
		return (wall <= 0) ? 0 : (int) Math.min(BAR_WIDTH - 1, Math.max(0, nanos * BAR_WIDTH / wall));
	}

	private static String millis(long nanos) {
		return String.format("%.1f", nanos / 1_000_000.0);
	}

	/**
	 * The counts of one run.
	 *
	 * @param loads executions of the full load
	 * @param fileReads rule files read
	 * @param hits calls answered without running the load
	 * @param misses calls that ran the load
	 * @param coalesced calls that joined a running load ({@code -1}: not counted)
	 * @param wallNanos from the first arrival to the last answer
	 * @param traces what each thread did, by arrival
	 */
	public record Run(long loads, long fileReads, long hits, long misses, long coalesced, long wallNanos,
			List<Trace> traces) {
	}

	/**
	 * What one thread did, in nanoseconds after the first arrival.
	 *
	 * @param thread the thread name
	 * @param arrivedNanos when it called
	 * @param loadStartNanos when it started loading, or {@code -1} if it did not load
	 * @param loadEndNanos when it finished loading, or {@code -1}
	 * @param doneNanos when it got the rules
	 */
	public record Trace(String thread, long arrivedNanos, long loadStartNanos, long loadEndNanos, long doneNanos) {
	}

}
