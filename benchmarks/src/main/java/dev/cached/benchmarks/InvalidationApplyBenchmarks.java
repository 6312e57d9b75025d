package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Ticker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.key.StableKeys;

/**
 * Applying an invalidation received from another instance, at 1,000, 100,000 and 1,000,000
 * local entries, without Redis: what the Redis tier does per message
 * ({@code RedisWriter.invalidatedElsewhere}), called directly on a cache whose keys are
 * indexed by their stable form, as the tier attaches every cache.
 * <ul>
 * <li>{@code apply}: the invalidation by stable form (the loads in flight, none here, then
 * the index), followed by putting the key back so that the store keeps its size;</li>
 * <li>{@code putBack}: the put alone, to subtract;</li>
 * <li>{@code scan}: the way an invalidation was applied before the index, for comparison:
 * the stable form of every stored key computed and compared, followed by the same put.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class InvalidationApplyBenchmarks {

	@Param({ "1000", "100000", "1000000" })
	public int entries;

	private CachedCache cache;

	private long[] keys;

	private String[] forms;

	private int next;

	@Setup(Level.Trial)
	public void setUp() throws Throwable {
		CacheSettings settings = CacheSettings.resolve("invalidations",
				new CacheSpec(null, (long) this.entries * 2, null, null), null, CacheSpec.NONE);
		this.cache = new CachedCache("invalidations", settings, Ticker.systemTicker(), Runnable::run);
		this.cache.indexKeys(InvalidationApplyBenchmarks::stableForm);
		this.keys = new long[this.entries];
		this.forms = new String[this.entries];
		for (int i = 0; i < this.entries; i++) {
			long key = i * 7919L;
			this.keys[i] = key;
			this.forms[i] = StableKeys.encode(key);
			this.cache.get(key, (context) -> "value", "fill");
		}
		if (this.cache.estimatedSize() != this.entries) {
			throw new IllegalStateException("Expected " + this.entries + " entries, found " + this.cache.estimatedSize());
		}
		this.cache.invalidateLocallyByForm(this.forms[0]);
		if (this.cache.peek(this.keys[0]) != null || this.cache.peek(this.keys[1]) == null) {
			throw new IllegalStateException("An invalidation by stable form did not remove exactly its key");
		}
		this.cache.putLocally(this.keys[0], "value");
	}

	@Benchmark
	public Object apply() {
		int i = advance();
		this.cache.invalidateLocallyByForm(this.forms[i]);
		this.cache.putLocally(this.keys[i], "value");
		return this.cache;
	}

	@Benchmark
	public Object putBack() {
		int i = advance();
		this.cache.putLocally(this.keys[i], "value");
		return this.cache;
	}

	@Benchmark
	public Object scan() {
		int i = advance();
		String form = this.forms[i];
		this.cache.getNativeCache().asMap().keySet().removeIf((key) -> form.equals(stableForm(key)));
		this.cache.putLocally(this.keys[i], "value");
		return this.cache;
	}

	private int advance() {
		int i = this.next;
		this.next = (i + 1 == this.entries) ? 0 : i + 1;
		return i;
	}

	private static String stableForm(Object key) {
		try {
			return StableKeys.encode(key);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

}
