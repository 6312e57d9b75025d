package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;

import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Clearing a remote cache of 100 entries ({@link CachedCache#invalidateAll()}: Redis, the
 * other instances, the local store) beside {@link #otherKeys} unrelated keys in Redis,
 * planted with {@code DEBUG POPULATE}: the clear must cost the same whatever the size of
 * Redis' keyspace. Each invocation first loads the cache's 100 entries again (not
 * measured, {@link Level#Invocation} set-up), so that every clear has entries to clear.
 * The fork fails if the cache did not hold its 100 entries before a clear or still holds
 * one after it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class RemoteClearBenchmarks {

	static final int ENTRIES = 100;

	@Param({ "0", "2000000" })
	public int otherKeys;

	private RedisServer redis;

	private ConfigurableApplicationContext context;

	private RemoteService remote;

	private CachedCache cache;

	@Setup(Level.Trial)
	public void setUp() {
		if (RedisBenchmarkApplication.redisServerBinary() == null) {
			throw new IllegalStateException(RedisBenchmarkApplication.REDIS_MISSING);
		}
		// DEBUG POPULATE plants the unrelated keys in one command
		this.redis = RedisServer.builder()
			.executable(RedisBenchmarkApplication.redisServerBinary())
			.arguments("--enable-debug-command", "yes")
			.start();
		try {
			if (this.otherKeys > 0) {
				this.redis.command("DEBUG", "POPULATE", Integer.toString(this.otherKeys), "unrelated");
			}
			this.context = RedisBenchmarkApplication.start(this.redis.port());
			this.remote = this.context.getBean(RemoteService.class);
			this.remote.payload(0);
			this.cache = RedisBenchmarkApplication.cache(this.context, RemoteService.PAYLOAD_CACHE, true);
			long size = (Long) this.redis.command("DBSIZE");
			if (size < this.otherKeys) {
				throw new IllegalStateException("Sanity check failed: Redis holds " + size + " keys, fewer than the "
						+ this.otherKeys + " planted; refusing to measure");
			}
		}
		catch (RuntimeException | Error ex) {
			tearDown();
			throw ex;
		}
	}

	@Setup(Level.Invocation)
	public void fill() {
		for (int i = 0; i < ENTRIES; i++) {
			this.remote.payload(i);
		}
		if (this.cache.estimatedSize() < ENTRIES) {
			throw new IllegalStateException("Sanity check failed: the cache holds " + this.cache.estimatedSize()
					+ " entries before the clear; refusing to measure");
		}
	}

	@TearDown(Level.Invocation)
	public void check() {
		for (int i = 0; i < ENTRIES; i++) {
			if (this.cache.peek((long) i) != null) {
				throw new IllegalStateException("Sanity check failed: key " + i + " is still stored after the clear");
			}
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		if (this.context != null) {
			this.context.close();
		}
		if (this.redis != null) {
			this.redis.close();
		}
	}

	@Benchmark
	public void clear() {
		this.cache.invalidateAll();
	}

}
