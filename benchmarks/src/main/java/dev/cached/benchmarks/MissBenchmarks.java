package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import com.github.benmanes.caffeine.cache.Cache;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Misses: every call uses a key never seen before, so the cheap body runs, the value is
 * stored, and (past 10,000 entries) an old entry is evicted, on each of the three caches
 * alike.
 * <p>
 * Forks compile in the foreground ({@code -Xbatch}): on a busy machine, background
 * compilation of the long {@code @Cacheable} path lags seconds behind the warm-up, and
 * its numbers would be interpreter numbers.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class MissBenchmarks {

	private static final Function<Long, String> LOADER = (key) -> Keys.VALUES[(int) (long) key & Keys.MASK];

	private CachedService cached;

	private SpringCacheService spring;

	private Cache<Long, String> caffeine;

	@Setup(Level.Trial)
	public void setUp() {
		BenchmarkContext context = BenchmarkContext.get();
		this.cached = context.cached;
		this.spring = context.spring;
		this.caffeine = context.caffeineMisses;
	}

	@Benchmark
	public String caffeineGetMiss(UniqueKeys keys) {
		return this.caffeine.get(keys.next(), LOADER);
	}

	@Benchmark
	public String cacheableSyncMiss(UniqueKeys keys) {
		return this.spring.missSync(keys.next());
	}

	@Benchmark
	public String cachedMiss(UniqueKeys keys) {
		return this.cached.miss(keys.next());
	}

	/**
	 * Each thread's own range of keys, never repeated.
	 */
	@State(Scope.Thread)
	public static class UniqueKeys {

		private long next;

		@Setup(Level.Trial)
		public void setUp(ThreadParams thread) {
			this.next = (thread.getThreadIndex() + 1L) << 40;
		}

		long next() {
			return this.next++;
		}

	}

}
