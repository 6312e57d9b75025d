package dev.cached.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The one entry point: the sanity pass (every variant must cache, or the process exits
 * non-zero before measuring), the stampede, heap-per-entry and many-instances (Redis)
 * harnesses, then JMH with the gc profiler for each (threads, mode) step of the plan, and
 * a summary table with the ratios against Spring and raw Caffeine from this very run.
 * <p>
 * Takes JMH's own command line. The plan is {@value #DEFAULT_PLAN} (single-thread
 * average time, two-thread throughput: one fork per benchmark and step);
 * {@code -Dbench.plan=1:avgt,1:thrpt,2:avgt,2:thrpt} runs the full matrix, and an
 * explicit {@code -t} or {@code -bm} replaces the plan, as {@code -prof} replaces the gc
 * profiler. {@code -Dbench.harness=false} skips the harnesses,
 * {@code -Dbench.harness=redis} (a comma-separated list of {@code stampede}, {@code heap}
 * and {@code redis}) runs only those, and {@code -Dbench.output=FILE} moves the summary
 * (default {@code benchmarks/target/benchmark-results.md}). {@code -Dbench.redis=cluster}
 * puts the Redis harness and {@link RedisBenchmarks} on a Redis Cluster ({@link BenchmarkRedis}).
 * Without a {@code redis-server}
 * the Redis harness, {@link RedisBenchmarks}, {@link TierHitBenchmarks} and
 * {@link RedisBulkBenchmarks} are skipped, with a line saying so.
 */
public final class BenchmarkMain {

	private BenchmarkMain() {
	}

	public static void main(String[] args) throws Exception {
		try {
			System.exit(run(args));
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			System.err.println("BENCHMARK FAILED: " + ex);
			System.exit(1);
		}
	}

	private static int run(String[] args) throws Exception {
		CommandLineOptions command = new CommandLineOptions(args);
		if (command.shouldHelp() || command.shouldList() || command.shouldListProfilers()
				|| command.shouldListResultFormats() || command.shouldListWithParams()) {
			org.openjdk.jmh.Main.main(args);
			return 0;
		}
		StringBuilder report = new StringBuilder();
		String startLoad = loadAverage();
		report.append("Run of ").append(Instant.now()).append('\n');
		report.append("JDK: ").append(System.getProperty("java.vm.name")).append(' ')
			.append(System.getProperty("java.runtime.version")).append('\n');
		report.append("Machine: ").append(System.getProperty("os.name")).append(' ')
			.append(System.getProperty("os.arch")).append(", ").append(Runtime.getRuntime().availableProcessors())
			.append(" cores\n");
		report.append("redis-server: ").append(RedisBenchmarkApplication.redisServerVersion()).append('\n');
		report.append("Command line: ").append(String.join(" ", args)).append('\n');
		report.append("Load average at start: ").append(startLoad).append('\n');

		System.out.println("# Sanity pass: every variant must run its body once per key");
		BenchmarkContext.fullSanity = true;
		BenchmarkContext context = BenchmarkContext.get();
		System.out.println("# Sanity pass: ok");
		Harness harness = null;
		List<String> harnesses = harnesses();
		if (!harnesses.isEmpty()) {
			List<Stampede.Result> stampede = harnesses.contains("stampede") ? Stampede.run(context) : null;
			double[] heap = harnesses.contains("heap") ? HeapPerEntry.run(context) : null;
			String load = loadAverage();
			BenchmarkContext.close();
			ManyInstances.Result redis = harnesses.contains("redis") ? ManyInstances.run() : null;
			harness = new Harness(stampede, heap, redis, load);
			System.out.print(harness.table());
		}
		BenchmarkContext.close();
		boolean redisMissing = RedisBenchmarkApplication.redisServerBinary() == null;
		if (redisMissing) {
			System.out.println("# " + RedisBenchmarkApplication.REDIS_MISSING);
		}

		List<RunResult> results = new ArrayList<>();
		for (String step : plan(command)) {
			int count = Integer.parseInt(step.substring(0, step.indexOf(':')));
			Mode mode = Mode.deepValueOf(step.substring(step.indexOf(':') + 1));
			ChainedOptionsBuilder options = new OptionsBuilder().parent(command)
				.threads(count)
				.mode(mode)
				.shouldFailOnError(true);
			if (command.getProfilers().isEmpty()) {
				options.addProfiler(GCProfiler.class);
			}
			if (redisMissing) {
				options.exclude(RedisBenchmarks.class.getSimpleName() + "|" + TierHitBenchmarks.class.getSimpleName() + "|"
						+ RedisBulkBenchmarks.class.getSimpleName());
			}
			if (!command.getTimeUnit().hasValue()) {
				options.timeUnit((mode == Mode.Throughput) ? TimeUnit.MICROSECONDS : TimeUnit.NANOSECONDS);
			}
			System.out.println("# JMH: threads " + count + ", mode " + mode.shortLabel() + ", load average "
					+ loadAverage());
			Collection<RunResult> run;
			try {
				run = new Runner(options.build()).run();
			}
			catch (NoBenchmarksException ex) {
				if (redisMissing) {
					// only Redis benchmarks were selected
					continue;
				}
				throw ex;
			}
			if (run.isEmpty()) {
				throw new IllegalStateException("JMH produced no results for threads " + count + ", mode " + mode);
			}
			results.addAll(run);
		}
		report.append("Load average at end: ").append(loadAverage()).append("\n\n");
		report.append(new Summary(results).table());
		if (harness != null) {
			report.append('\n').append(harness.table());
		}
		report.append('\n').append(new Summary(results).targets(harness));
		System.out.println();
		System.out.print(report);
		Path output = Path.of(System.getProperty("bench.output", "benchmarks/target/benchmark-results.md"));
		if (output.toAbsolutePath().getParent() != null) {
			Files.createDirectories(output.toAbsolutePath().getParent());
		}
		Files.writeString(output, report);
		System.out.println("# Summary written to " + output.toAbsolutePath());
		return 0;
	}

	/**
	 * The harnesses to run: {@code -Dbench.harness} is {@code true} (all of them, the
	 * default), {@code false} (none) or a comma-separated list of {@code stampede},
	 * {@code heap} and {@code redis}.
	 */
	private static List<String> harnesses() {
		String harness = System.getProperty("bench.harness", "true").trim();
		if (harness.equals("true")) {
			return List.of("stampede", "heap", "redis");
		}
		if (harness.equals("false") || harness.isEmpty()) {
			return List.of();
		}
		List<String> harnesses = List.of(harness.split("\\s*,\\s*"));
		for (String name : harnesses) {
			if (!List.of("stampede", "heap", "redis").contains(name)) {
				throw new IllegalArgumentException("-Dbench.harness: unknown harness '" + name
						+ "' (true, false, or a list of stampede, heap, redis)");
			}
		}
		return harnesses;
	}

	/**
	 * The (threads, mode) steps to run: {@code -t} and {@code -bm} when given, else
	 * {@code -Dbench.plan}, by default {@value #DEFAULT_PLAN}.
	 */
	private static List<String> plan(CommandLineOptions command) {
		if (command.getThreads().hasValue() || !command.getBenchModes().isEmpty()) {
			List<String> steps = new ArrayList<>();
			List<Integer> threads = command.getThreads().hasValue() ? List.of(command.getThreads().get())
					: List.of(1, 2);
			Collection<Mode> modes = command.getBenchModes().isEmpty() ? List.of(Mode.AverageTime, Mode.Throughput)
					: command.getBenchModes();
			for (int count : threads) {
				for (Mode mode : modes) {
					steps.add(count + ":" + mode.shortLabel());
				}
			}
			return steps;
		}
		return List.of(System.getProperty("bench.plan", DEFAULT_PLAN).split(","));
	}

	/** Single-thread latency and two-thread throughput: one fork per benchmark each. */
	static final String DEFAULT_PLAN = "1:avgt,2:thrpt";

	static String loadAverage() {
		try {
			String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
			return parts[0] + " " + parts[1] + " " + parts[2];
		}
		catch (IOException | RuntimeException ex) {
			return String.format(Locale.ROOT, "%.2f",
					java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
		}
	}

	/**
	 * The JMH results by benchmark, threads and mode.
	 */
	static final class Summary {

		private final Map<String, Map<String, Row>> rows = new LinkedHashMap<>();

		Summary(List<RunResult> results) {
			for (RunResult result : results) {
				String benchmark = result.getParams().getBenchmark();
				String name = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
				for (String param : result.getParams().getParamsKeys()) {
					name += " " + param + "=" + result.getParams().getParam(param);
				}
				Row row = this.rows.computeIfAbsent(name, (key) -> new LinkedHashMap<>())
					.computeIfAbsent("t" + result.getParams().getThreads(), (key) -> new Row());
				Result<?> primary = result.getPrimaryResult();
				Result<?> alloc = null;
				for (Map.Entry<String, Result> secondary : result.getSecondaryResults().entrySet()) {
					if (secondary.getKey().endsWith("gc.alloc.rate.norm")) {
						alloc = secondary.getValue();
					}
				}
				if (result.getParams().getMode() == Mode.Throughput) {
					row.thrpt = primary;
					row.thrptAlloc = alloc;
				}
				else {
					row.avgt = primary;
					row.avgtAlloc = alloc;
				}
			}
		}

		String table() {
			StringBuilder table = new StringBuilder();
			table.append("| benchmark | threads | avgt | thrpt | alloc B/op |\n|---|---|---|---|---|\n");
			this.rows.forEach((name, byThreads) -> byThreads.forEach((threads, row) -> table.append(String.format(
					Locale.ROOT, "| %s | %s | %s | %s | %s |%n", name, threads.substring(1), format(row.avgt),
					format(row.thrpt), (row.alloc() != null) ? String.format(Locale.ROOT, "%.1f", row.alloc()) : ""))));
			return table.toString();
		}

		String targets(@Nullable Harness harness) {
			StringBuilder targets = new StringBuilder("Targets (ratios from this run):\n\n");
			targets.append("| target | threads | value | goal | met |\n|---|---|---|---|---|\n");
			for (String threads : List.of("t1", "t2")) {
				ratio(targets, threads, "@Cached(key=\"#id\") thrpt / @Cacheable(key=\"#id\", sync=true) thrpt",
						"HitBenchmarks.cachedKeyId", "HitBenchmarks.cacheableKeyIdSync", 5, true);
				ratio(targets, threads, "@Cached default key thrpt / @Cacheable default key thrpt (one arg)",
						"HitBenchmarks.cachedDefaultKey", "HitBenchmarks.cacheableDefaultKey", 3, true);
				ratio(targets, threads, "@Cached default key thrpt / @Cacheable default key thrpt (two args)",
						"HitBenchmarks.cachedDefaultKeyTwoArgs", "HitBenchmarks.cacheableDefaultKeyTwoArgs", 3, true);
				Double keyId = thrpt("HitBenchmarks.cachedKeyId", threads);
				Double defaultKey = thrpt("HitBenchmarks.cachedDefaultKey", threads);
				if (keyId != null && defaultKey != null) {
					double ratio = keyId / defaultKey;
					targets.append(String.format(Locale.ROOT, "| %s | %s | %.3f | 0.85..1.15 | %s |%n",
							"@Cached(key=\"#id\") thrpt / @Cached default key thrpt", threads.substring(1), ratio,
							(ratio >= 0.85 && ratio <= 1.15) ? "yes" : "NO"));
				}
				ratio(targets, threads, "@Cached(key=\"#id\") alloc / @Cacheable(key=\"#id\", sync=true) alloc",
						"HitBenchmarks.cachedKeyId", "HitBenchmarks.cacheableKeyIdSync", 0.10, false);
				ratio(targets, threads, "@Cached(key=\"#id\") thrpt / raw Caffeine getIfPresent thrpt (info)",
						"HitBenchmarks.cachedKeyId", "HitBenchmarks.caffeineGetIfPresent", 0, true);
			}
			for (String threads : List.of("t1", "t2")) {
				ratio(targets, threads, "local hit with Redis thrpt / without Redis thrpt (@Cached(key=\"#id\"))",
						"RedisBenchmarks.localHit", "HitBenchmarks.cachedKeyId", 0.95, true);
				Double remoteHit = thrpt("RedisBenchmarks.remoteHit", threads);
				Double get = thrpt("RedisBenchmarks.lettuceGet", threads);
				if (remoteHit != null && get != null) {
					targets.append(String.format(Locale.ROOT, "| %s | %s | %.3f | - | - |%n",
							"remote hit time / raw Lettuce GET time (info)", threads.substring(1), get / remoteHit));
				}
			}
			if (harness != null && harness.redis() != null) {
				ManyInstances.Result redis = harness.redis();
				double p99 = ManyInstances.percentile(redis.stampede().afterLoad(), 99);
				targets.append(String.format(Locale.ROOT,
						"| stampede across %d instances: executions per round | %d x %d | 1 | 1 | yes |%n",
						ManyInstances.INSTANCES, ManyInstances.INSTANCES, ManyInstances.CALLERS));
				targets.append(String.format(Locale.ROOT,
						"| stampede across instances: load end -> last caller served, p99 ms | %d x %d | %.2f | <= 10 | %s |%n",
						ManyInstances.INSTANCES, ManyInstances.CALLERS, p99, (p99 <= 10) ? "yes" : "NO"));
				for (ManyInstances.Propagation propagation : List.of(redis.remote(), redis.local())) {
					double both = ManyInstances.percentile(propagation.toBoth(), 99);
					targets.append(String.format(Locale.ROOT,
							"| invalidation propagation to B and C, p99 ms (%s) | - | %.2f | < 100 | %s |%n",
							propagation.remote() ? "remote cache" : "cache not remote", both,
							(both < 100) ? "yes" : "NO"));
				}
			}
			if (harness != null && harness.heap() != null) {
				double heap = harness.heap()[0] / harness.heap()[1];
				targets.append(String.format(Locale.ROOT, "| heap per entry @Cached / raw Caffeine | - | %.3f | <= 1.2 | %s |%n",
						heap, (heap <= 1.2) ? "yes" : "NO"));
			}
			if (harness != null && harness.stampede() != null) {
				Stampede.Result cached = harness.stampede().get(0);
				targets.append(String.format(Locale.ROOT, "| stampede @Cached executions per round | 64 | %d..%d | 1 | %s |%n",
						cached.minExecutions(), cached.maxExecutions(),
						(cached.minExecutions() == 1 && cached.maxExecutions() == 1) ? "yes" : "NO"));
				double limit = Stampede.BODY_MILLIS + 5;
				targets.append(String.format(Locale.ROOT,
						"| stampede @Cached all served, max ms (median %.2f) | 64 | %.2f | <= %.0f | %s |%n",
						cached.medianMillis(), cached.maxMillis(), limit, (cached.maxMillis() <= limit) ? "yes" : "NO"));
			}
			return targets.toString();
		}

		private void ratio(StringBuilder targets, String threads, String label, String ours, String theirs,
				double goal, boolean throughput) {
			Double numerator = throughput ? thrpt(ours, threads) : alloc(ours, threads);
			Double denominator = throughput ? thrpt(theirs, threads) : alloc(theirs, threads);
			if (numerator == null || denominator == null) {
				return;
			}
			double ratio = numerator / denominator;
			String met = (goal == 0) ? "-" : (throughput ? ratio >= goal : ratio <= goal) ? "yes" : "NO";
			targets.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s | %s |%n", label, threads.substring(1),
					ratio, (goal == 0) ? "-" : (throughput ? ">= " : "<= ") + goal, met));
		}

		private @Nullable Double thrpt(String name, String threads) {
			Row row = row(name, threads);
			if (row == null) {
				return null;
			}
			if (row.thrpt != null) {
				return row.thrpt.getScore();
			}
			// No throughput run: the reciprocal of the average time compares the same way.
			return (row.avgt != null) ? 1 / row.avgt.getScore() : null;
		}

		private @Nullable Double alloc(String name, String threads) {
			Row row = row(name, threads);
			return (row != null) ? row.alloc() : null;
		}

		private @Nullable Row row(String name, String threads) {
			Map<String, Row> byThreads = this.rows.get(name);
			return (byThreads != null) ? byThreads.get(threads) : null;
		}

		private static String format(@Nullable Result<?> result) {
			if (result == null) {
				return "";
			}
			return String.format(Locale.ROOT, "%.3f ± %.3f %s", result.getScore(),
					Double.isNaN(result.getScoreError()) ? 0 : result.getScoreError(), result.getScoreUnit());
		}

	}

	static final class Row {

		@Nullable Result<?> avgt;

		@Nullable Result<?> thrpt;

		@Nullable Result<?> avgtAlloc;

		@Nullable Result<?> thrptAlloc;

		@Nullable Double alloc() {
			Result<?> alloc = (this.avgtAlloc != null) ? this.avgtAlloc : this.thrptAlloc;
			return (alloc != null) ? alloc.getScore() : null;
		}

	}

}
