package dev.cached.benchmarks;

import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * The results of the harnesses, {@code null} for those that did not run.
 */
record Harness(@Nullable List<Stampede.Result> stampede, double @Nullable [] heap,
		ManyInstances.@Nullable Result redis, String load) {

	String table() {
		StringBuilder table = new StringBuilder();
		if (this.stampede != null) {
			stampede(table, this.stampede);
		}
		if (this.heap != null) {
			table.append(String.format(Locale.ROOT,
					"%nHeap per entry (%,d Long -> 32-char String entries, used heap after GC):%n%n"
							+ "| store | bytes per entry |%n|---|---|%n| @Cached | %.1f |%n| raw Caffeine | %.1f |%n"
							+ "| ratio | %.3f |%n",
					HeapPerEntry.ENTRIES, this.heap[0], this.heap[1], this.heap[0] / this.heap[1]));
		}
		if (this.redis != null) {
			table.append(this.redis.table());
		}
		return table.toString();
	}

	private void stampede(StringBuilder table, List<Stampede.Result> stampede) {
		table.append("\nStampede: ").append(Stampede.CALLERS).append(" threads, one cold key, body ")
			.append(Stampede.BODY_MILLIS).append(" ms, ").append(Stampede.ROUNDS)
			.append(" rounds after ").append(Stampede.WARMUP_ROUNDS).append(" warm-up rounds (load average ")
			.append(this.load).append(")\n\n");
		table.append("| variant | executions per round (min..max) | all served, median ms | all served, max ms |\n");
		table.append("|---|---|---|---|\n");
		for (Stampede.Result result : stampede) {
			table.append(String.format(Locale.ROOT, "| %s | %d..%d | %.2f | %.2f |%n", result.variant(),
					result.minExecutions(), result.maxExecutions(), result.medianMillis(), result.maxMillis()));
		}
	}

}
