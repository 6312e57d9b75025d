package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;

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

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;

/**
 * The local hit of {@code @Cached(key = "#id")} on a remote cache, in one application
 * with the Redis tier on ({@code redis = true}, its own {@code redis-server} on loopback)
 * and the same application with it off: one application per fork, keys {@code 0..1023}
 * all cached before measuring, so that the two differ only by the tier.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class RedisHitBenchmarks {

	@Param({ "true", "false" })
	public boolean redis;

	private RedisProcess server;

	private ConfigurableApplicationContext context;

	private RedisBenchmarkApplication.Service service;

	private CachedCache cache;

	@Setup(Level.Trial)
	public void setUp() throws Exception {
		this.server = RedisProcess.start();
		this.context = RedisBenchmarkApplication.start(this.server.port(), this.redis);
		this.service = this.context.getBean(RedisBenchmarkApplication.Service.class);
		this.cache = this.context.getBean(CacheRegistry.class).getCache("remote");
		for (int i = 0; i < Keys.COUNT; i++) {
			if (!this.service.remote(i).equals(Keys.VALUES[i])) {
				throw new IllegalStateException("Sanity check failed: value of key " + i);
			}
		}
		if (this.cache.isRemoteActive() != this.redis) {
			throw new IllegalStateException("Sanity check failed: the cache is remote: " + this.cache.isRemoteActive());
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws Exception {
		long loads = this.cache.getStatistics().loadSuccesses();
		this.context.close();
		this.server.close();
		if (loads != Keys.COUNT) {
			throw new IllegalStateException("Sanity check failed: " + loads + " loads for " + Keys.COUNT
					+ " keys: some measured calls were no hits");
		}
	}

	@Benchmark
	public String localHit(HitBenchmarks.Cursor cursor) {
		return this.service.remote(cursor.next());
	}

}
