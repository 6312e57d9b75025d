package dev.cached.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Heap per cached entry: the used heap after full collections, before and after one
 * million {@code Long} to 32-character {@code String} entries are cached through
 * {@code @Cached} and through raw Caffeine with the same maximum size.
 */
final class HeapPerEntry {

	static final int ENTRIES = 1_000_000;

	private static final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

	private HeapPerEntry() {
	}

	/**
	 * Measure both.
	 * @param context the application
	 * @return bytes per entry: {@code [@Cached, raw Caffeine]}
	 */
	static double[] run(BenchmarkContext context) {
		Cache<Object, Object> store = context.registry().getCache("CachedService.entry").getNativeCache();
		long before = usedAfterGc();
		for (long i = 0; i < ENTRIES; i++) {
			context.cached.entry(i);
		}
		store.cleanUp();
		long after = usedAfterGc();
		check(store.estimatedSize() == ENTRIES && Executions.of(CachedService.ENTRY) == ENTRIES,
				"@Cached holds " + store.estimatedSize() + " entries");
		double cached = (after - before) / (double) ENTRIES;

		Cache<Long, String> raw = Caffeine.newBuilder().maximumSize(BenchmarkContext.HEAP_CACHE_SIZE).build();
		before = usedAfterGc();
		for (long i = 0; i < ENTRIES; i++) {
			raw.get(i, Keys::value);
		}
		raw.cleanUp();
		after = usedAfterGc();
		check(raw.estimatedSize() == ENTRIES, "raw Caffeine holds " + raw.estimatedSize() + " entries");
		double caffeine = (after - before) / (double) ENTRIES;
		Reference.reachabilityFence(raw);
		Reference.reachabilityFence(store);
		return new double[] { cached, caffeine };
	}

	/**
	 * Run only this harness, e.g. to compare per-cache settings:
	 * {@code java -Dcached.caches.[CachedService.entry].ttl=1h ... HeapPerEntry}.
	 * @param args ignored
	 */
	public static void main(String[] args) {
		double[] result = run(BenchmarkContext.get());
		System.out.printf(java.util.Locale.ROOT, "Heap per entry: @Cached %.1f bytes, raw Caffeine %.1f bytes%n",
				result[0], result[1]);
		System.exit(0);
	}

	private static long usedAfterGc() {
		long used = Long.MAX_VALUE;
		for (int i = 0; i < 10; i++) {
			System.gc();
			long now = memory.getHeapMemoryUsage().getUsed();
			if (Math.abs(now - used) < 64 * 1024) {
				return now;
			}
			used = now;
		}
		return used;
	}

	private static void check(boolean condition, String problem) {
		if (!condition) {
			throw new IllegalStateException("Heap harness failed: " + problem + " instead of " + ENTRIES);
		}
	}

}
