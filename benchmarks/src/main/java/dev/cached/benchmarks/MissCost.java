package dev.cached.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;

/**
 * What a miss costs in CPU time rather than wall time, for a shared machine where other
 * processes take the cores away: the engine's miss ({@link CachedCache#get}, no proxy) next
 * to raw Caffeine's {@code get(key, function)}, each a new key every call, 10,000 entries at
 * most, an eviction listener on both, and Caffeine's maintenance on
 * {@code ForkJoinPool.commonPool()} (what the starter uses) or on the calling thread. Per
 * round of {@value #OPS} misses it prints the wall time, the calling thread's CPU time, the
 * process's CPU time (the common pool's worker, the JIT and the GC included), the calling
 * thread's allocation, and how often Caffeine handed its maintenance to the executor. Run
 * it with:
 * {@code java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmark.classpath)" dev.cached.benchmarks.MissCost [rounds]}.
 */
final class MissCost {

	static final int OPS = 200_000;

	private static final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private static final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
		.getOperatingSystemMXBean();

	private static long nextKey = 1L << 40;

	private MissCost() {
	}

	public static void main(String[] args) throws Throwable {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 7;
		Loader loader = (context) -> value((Long) context);
		List<Variant> variants = new ArrayList<>();
		for (boolean pool : new boolean[] { true, false }) {
			Variant raw = new Variant("raw Caffeine get(key, fn), maintenance on " + (pool ? "the pool" : "the caller"));
			Cache<Long, String> caffeine = Caffeine.newBuilder()
				.maximumSize(BenchmarkApplication.MAXIMUM_SIZE)
				.executor(raw.executor(pool))
				.evictionListener((key, value, cause) -> raw.evictions.increment())
				.build();
			raw.miss = (key) -> caffeine.get(key, MissCost::value);
			variants.add(raw);
			Variant engine = new Variant("CachedCache.get, maintenance on " + (pool ? "the pool" : "the caller"));
			CachedCache cache = new CachedCache("miss-cost",
					CacheSettings.resolve(new CacheSpec(null, (long) BenchmarkApplication.MAXIMUM_SIZE, null, null), null,
							CacheSpec.NONE),
					Ticker.systemTicker(), engine.executor(pool));
			engine.miss = (key) -> cache.get(key, loader, key);
			variants.add(engine);
		}
		System.out.printf("# %d misses per round, %d warm-up rounds, %d rounds, load average %s%n", OPS, 4, rounds,
				BenchmarkMain.loadAverage());
		for (int round = 0; round < 4; round++) {
			for (Variant variant : variants) {
				variant.round();
			}
		}
		for (Variant variant : variants) {
			variant.results.clear();
		}
		for (int round = 0; round < rounds; round++) {
			for (Variant variant : variants) {
				variant.round();
			}
		}
		System.out.printf("# load average at the end %s%n%n", BenchmarkMain.loadAverage());
		System.out.println("| variant | wall ns/miss | caller CPU ns/miss | process CPU ns/miss | caller B/miss | "
				+ "hand-offs per 1,000 misses |");
		System.out.println("|---|---|---|---|---|---|");
		for (Variant variant : variants) {
			System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", variant.name, variant.column(0),
					variant.column(1), variant.column(2), variant.column(3), variant.column(4));
		}
		System.out.println();
		System.out.println("Each cell: median of the rounds [lowest to highest].");
	}

	/** The cheap body of {@link MissBenchmarks}: one of the prepared values. */
	private static String value(Long key) {
		return Keys.VALUES[(int) (long) key & Keys.MASK];
	}

	@FunctionalInterface
	interface Miss {

		Object call(Long key) throws Throwable;

	}

	static final class Variant {

		final String name;

		final LongAdder handOffs = new LongAdder();

		final LongAdder evictions = new LongAdder();

		Miss miss;

		final List<double[]> results = new ArrayList<>();

		Variant(String name) {
			this.name = name;
		}

		Executor executor(boolean pool) {
			if (pool) {
				return (task) -> {
					this.handOffs.increment();
					ForkJoinPool.commonPool().execute(task);
				};
			}
			return (task) -> {
				this.handOffs.increment();
				task.run();
			};
		}

		void round() throws Throwable {
			long thread = Thread.currentThread().getId();
			long bytes = threads.getThreadAllocatedBytes(thread);
			long cpu = threads.getCurrentThreadCpuTime();
			long process = os.getProcessCpuTime();
			long handOffs = this.handOffs.sum();
			long start = System.nanoTime();
			for (int i = 0; i < OPS; i++) {
				if (this.miss.call(nextKey++) == null) {
					throw new IllegalStateException("no value");
				}
			}
			long wall = System.nanoTime() - start;
			this.results.add(new double[] { wall / (double) OPS,
					(threads.getCurrentThreadCpuTime() - cpu) / (double) OPS,
					(os.getProcessCpuTime() - process) / (double) OPS,
					(threads.getThreadAllocatedBytes(thread) - bytes) / (double) OPS,
					(this.handOffs.sum() - handOffs) * 1000.0 / OPS });
		}

		String column(int index) {
			double[] values = this.results.stream().mapToDouble((result) -> result[index]).sorted().toArray();
			double median = values[values.length / 2];
			return String.format(Locale.ROOT, "%.0f [%.0f to %.0f]", median, values[0], values[values.length - 1]);
		}

	}

}
