package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;

import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * A local hit with the Redis tier on and off, in the same application
 * ({@link RedisBenchmarkApplication}: the same caches, the same services, the same call as
 * {@link RedisBenchmarks#localHit}), so that nothing but the tier differs between the two:
 * {@code HitBenchmarks.cachedKeyId} runs in another application whose other caches are
 * configured otherwise, which changes how the JIT compiles the shared code of a hit.
 * With {@code tier=on}, each fork starts its own {@code redis-server} and the cache is
 * checked to be remote; with {@code tier=off}, {@code cached.redis.enabled=false} and
 * no Redis. Every key is cached before measuring, and the fork fails if a call was not a
 * local hit.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class TierHitBenchmarks {

	@Param({ "off", "on" })
	public String tier;

	private RedisServer redis;

	private ConfigurableApplicationContext context;

	private CachedService cached;

	private CachedCache cache;

	private long executions;

	private long misses;

	@Setup(Level.Trial)
	public void setUp() {
		boolean on = this.tier.equals("on");
		if (on) {
			if (RedisBenchmarkApplication.redisServerBinary() == null) {
				throw new IllegalStateException(RedisBenchmarkApplication.REDIS_MISSING);
			}
			this.redis = RedisBenchmarkApplication.startRedis();
		}
		try {
			this.context = on ? RedisBenchmarkApplication.start(this.redis.port())
					: RedisBenchmarkApplication.start(0, "--cached.redis.enabled=false");
			this.cached = this.context.getBean(CachedService.class);
			long before = Executions.of(CachedService.BY_ID_KEY);
			for (int pass = 0; pass < 2; pass++) {
				for (int i = 0; i < Keys.COUNT; i++) {
					if (!Keys.VALUES[i].equals(this.cached.byIdKey(i))) {
						throw new IllegalStateException("Sanity check failed: byIdKey returned a wrong value for " + i);
					}
				}
			}
			if (Executions.of(CachedService.BY_ID_KEY) - before != Keys.COUNT) {
				throw new IllegalStateException("Sanity check failed: byIdKey does not cache");
			}
			this.cache = this.context.getBean(dev.cached.engine.CacheRegistry.class)
				.getCache(RedisBenchmarkApplication.BY_ID_KEY_CACHE);
			if (this.cache == null || this.cache.isRemoteActive() != on) {
				throw new IllegalStateException("Sanity check failed: the cache is " + (on ? "not " : "")
						+ "remote with the tier " + this.tier + "; refusing to measure");
			}
			this.executions = Executions.of(CachedService.BY_ID_KEY);
			this.misses = this.cache.getStatistics().misses();
		}
		catch (RuntimeException | Error ex) {
			tearDown();
			throw ex;
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		String problem = null;
		if (this.cache != null && (Executions.of(CachedService.BY_ID_KEY) != this.executions
				|| this.cache.getStatistics().misses() != this.misses)) {
			problem = "a call while measuring was not a local hit";
		}
		if (this.context != null) {
			this.context.close();
		}
		if (this.redis != null) {
			this.redis.close();
		}
		if (problem != null) {
			throw new IllegalStateException("Sanity check failed: " + problem);
		}
	}

	/** A local hit: {@code @Cached(key = "#id")}, every key stored. */
	@Benchmark
	public String localHit(HitBenchmarks.Cursor cursor) {
		return this.cached.byIdKey(cursor.next());
	}

}
