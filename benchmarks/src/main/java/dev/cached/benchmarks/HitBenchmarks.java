package dev.cached.benchmarks;

import java.util.Map;
import java.util.concurrent.TimeUnit;

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
 * Hits: every key ({@code 0..1023}) is cached before measuring, and each thread walks the
 * keys from its own starting point.
 * <p>
 * Forks compile in the foreground ({@code -Xbatch}): on a busy machine, background
 * compilation of the long {@code @Cacheable} path lags seconds behind the warm-up, and
 * its numbers would be interpreter numbers.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class HitBenchmarks {

	private CachedService cached;

	private SpringCacheService spring;

	private PlainService plain;

	private Cache<Long, String> caffeine;

	private Map<Long, String> map;

	@Setup(Level.Trial)
	public void setUp() {
		BenchmarkContext context = BenchmarkContext.get();
		this.cached = context.cached;
		this.spring = context.spring;
		this.plain = context.plain;
		this.caffeine = context.caffeine;
		this.map = context.map;
	}

	@Benchmark
	public String caffeineGetIfPresent(Cursor cursor) {
		return this.caffeine.getIfPresent(Keys.BOXED[cursor.next()]);
	}

	@Benchmark
	public String concurrentHashMapGet(Cursor cursor) {
		return this.map.get(Keys.BOXED[cursor.next()]);
	}

	@Benchmark
	public String plainCall(Cursor cursor) {
		return this.plain.byId(cursor.next());
	}

	@Benchmark
	public String cacheableKeyId(Cursor cursor) {
		return this.spring.byIdKey(cursor.next());
	}

	@Benchmark
	public String cacheableKeyIdSync(Cursor cursor) {
		return this.spring.byIdKeySync(cursor.next());
	}

	@Benchmark
	public String cacheableDefaultKey(Cursor cursor) {
		return this.spring.byId(cursor.next());
	}

	@Benchmark
	public String cacheableDefaultKeyTwoArgs(Cursor cursor) {
		int i = cursor.next();
		return this.spring.byNameAndNumber(Keys.NAMES[i], i);
	}

	@Benchmark
	public String cachedDefaultKey(Cursor cursor) {
		return this.cached.byId(cursor.next());
	}

	@Benchmark
	public String cachedKeyId(Cursor cursor) {
		return this.cached.byIdKey(cursor.next());
	}

	@Benchmark
	public String cachedDefaultKeyTwoArgs(Cursor cursor) {
		int i = cursor.next();
		return this.cached.byNameAndNumber(Keys.NAMES[i], i);
	}

	@Benchmark
	public String cachedNoArgument() {
		return this.cached.noArgument();
	}

	/**
	 * Each thread's position in the keys.
	 */
	@State(Scope.Thread)
	public static class Cursor {

		private int next;

		@Setup(Level.Trial)
		public void setUp(ThreadParams thread) {
			this.next = (thread.getThreadIndex() * 509) & Keys.MASK;
		}

		int next() {
			this.next = (this.next + 1) & Keys.MASK;
			return this.next;
		}

	}

}
