package dev.cached.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * A Redis hit beside a raw Lettuce {@code GET}, measured in pairs so that the machine's
 * load weighs on both alike: on a shared two-core machine one JMH fork of the {@code GET}
 * may run at 40 µs and the next at 110 µs, which no ratio of separate forks survives.
 * <p>
 * One {@link RedisBenchmarks} set-up (its own {@code redis-server}, or a Redis Cluster with
 * {@code -Dbench.redis=cluster}; one application with the tier on, the same sanity
 * checks), then rounds: in each, the variants take turns call
 * by call (the order rotated from call to call), each call timed alone
 * ({@link System#nanoTime()}); each round gives every variant its median call, and the ratio of
 * the Redis hit's median to the {@code GET}'s. The result is the median over the rounds of
 * each, with the ratio's 10th and 90th percentiles. The set-up's tear-down fails the run
 * unless every Redis hit really was one (no load, no Redis error).
 * <p>
 * Variants: {@code get} ({@link RedisBenchmarks#lettuceGet}), {@code evalsha} and
 * {@code eval} (the tier's look-up script on the raw connection, by digest and by text),
 * {@code remoteHit} ({@link RedisBenchmarks#remoteHit}: the key removed locally, the call
 * answered by Redis).
 * <pre>
 * java [-Dbench.redis=cluster] -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmark.classpath)" \
 *   dev.cached.benchmarks.RedisHitPairs [rounds [calls per block]]
 * </pre>
 */
public final class RedisHitPairs {

	private RedisHitPairs() {
	}

	public static void main(String[] args) {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 200;
		int calls = (args.length > 1) ? Integer.parseInt(args[1]) : 200;
		RedisBenchmarks bench = new RedisBenchmarks();
		String loadBefore = BenchmarkMain.loadAverage();
		try {
			bench.setUp();
			RedisBenchmarks.Partition keys = RedisBenchmarks.Partition.all();
			List<String> names = List.of("get", "evalsha", "eval", "remoteHit");
			List<ToLongFunction<RedisBenchmarks.Partition>> variants = List.of(
					(p) -> bench.lettuceGet(p).length, (p) -> bench.lettuceEvalsha(p).size(),
					(p) -> bench.lettuceEval(p).size(), (p) -> bench.remoteHit(p).length());
			double[][] medians = new double[names.size()][rounds];
			double[] ratios = new double[rounds];
			long[][] times = new long[names.size()][calls];
			// warm-up: as many rounds again, not kept
			for (int round = -rounds; round < rounds; round++) {
				for (int i = 0; i < calls; i++) {
					for (int k = 0; k < names.size(); k++) {
						int v = Math.floorMod(k + i, names.size());
						long start = System.nanoTime();
						variants.get(v).applyAsLong(keys);
						times[v][i] = System.nanoTime() - start;
					}
				}
				if (round >= 0) {
					for (int v = 0; v < names.size(); v++) {
						medians[v][round] = median(times[v]);
					}
					ratios[round] = medians[3][round] / medians[0][round];
				}
			}
			StringBuilder table = new StringBuilder(String.format("%nRedis hit beside a raw GET, in pairs, on %s (%s): "
					+ "%d rounds of %d calls per variant, load average %s before, %s after%n", bench.topology(),
					BenchmarkRedis.version(), rounds, calls, loadBefore, BenchmarkMain.loadAverage()));
			table.append("| variant | median of the rounds' median call, µs | p10 | p90 |\n|---|---|---|---|\n");
			for (int v = 0; v < names.size(); v++) {
				double[] sorted = medians[v].clone();
				Arrays.sort(sorted);
				table.append(String.format("| %s | %.1f | %.1f | %.1f |%n", names.get(v), pct(sorted, 50) / 1000,
						pct(sorted, 10) / 1000, pct(sorted, 90) / 1000));
			}
			Arrays.sort(ratios);
			table.append(String.format("Redis hit / GET, per round: median %.2f, p10 %.2f, p90 %.2f%n", pct(ratios, 50),
					pct(ratios, 10), pct(ratios, 90)));
			System.out.print(table);
			bench.tearDown();
			System.exit(0);
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			System.err.println("BENCHMARK FAILED: " + ex);
			System.exit(1);
		}
	}

	private static double median(long[] times) {
		long[] sorted = times.clone();
		Arrays.sort(sorted);
		return sorted[sorted.length / 2];
	}

	private static double pct(double[] sorted, int p) {
		return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
	}

}
