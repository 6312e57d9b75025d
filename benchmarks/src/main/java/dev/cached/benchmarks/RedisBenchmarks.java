package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;

/**
 * The Redis tier, one instance, its own {@code redis-server} on loopback (started per
 * fork):
 * <ul>
 * <li>{@code remoteHit}: a local miss answered by Redis: the key's local entry is dropped
 * ({@code invalidateLocally}, which touches no Redis) and the call reads it back from
 * Redis (one Lua script: GET and PTTL), reads the JSON and stores it locally;
 * {@code invalidateLocallyOnly} measures the drop alone;</li>
 * <li>{@code lettuceGet}: a raw Lettuce GET (synchronous API, byte arrays) of the same
 * payload (the JSON of a 32-character string) from the same server.</li>
 * </ul>
 * The local hit with the tier on and off is {@link RedisHitBenchmarks}.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class RedisBenchmarks {

	private RedisProcess redis;

	private ConfigurableApplicationContext withRedis;

	private RedisBenchmarkApplication.Service on;

	private CachedCache remote;

	private RedisClient client;

	private StatefulRedisConnection<byte[], byte[]> connection;

	private RedisCommands<byte[], byte[]> lettuce;

	private byte[][] redisKeys;

	private long loadsBefore;

	@Setup(Level.Trial)
	public void setUp() throws Exception {
		this.redis = RedisProcess.start();
		this.withRedis = RedisBenchmarkApplication.start(this.redis.port(), true);
		this.on = this.withRedis.getBean(RedisBenchmarkApplication.Service.class);
		this.remote = this.withRedis.getBean(CacheRegistry.class).getCache("remote");
		// until the tier's connection is open (calls before that are answered locally)
		long warmUp = -1;
		while (this.remote.getRemoteStatistics().writes() == 0) {
			this.on.remote(warmUp--);
			check(warmUp > -100_000, "the remote cache never wrote to Redis: is the tier on?");
		}
		long written = this.remote.getRemoteStatistics().writes();
		long loaded = this.remote.getStatistics().loadSuccesses();
		// every key cached locally and in Redis; a call that loads is refused from here on
		for (int i = 0; i < Keys.COUNT; i++) {
			check(this.on.remote(i).equals(Keys.VALUES[i]), "value of key " + i);
		}
		check(this.remote.getRemoteStatistics().writes() - written == Keys.COUNT,
				"the remote cache wrote " + (this.remote.getRemoteStatistics().writes() - written)
						+ " values to Redis, expected " + Keys.COUNT + ": is the tier on?");
		this.loadsBefore = loaded + Keys.COUNT;
		this.client = RedisClient.create(RedisURI.create("127.0.0.1", this.redis.port()));
		this.connection = this.client.connect(ByteArrayCodec.INSTANCE);
		this.lettuce = this.connection.sync();
		this.redisKeys = new byte[Keys.COUNT][];
		for (int i = 0; i < Keys.COUNT; i++) {
			this.redisKeys[i] = ("cached:{remote}:" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
			check(this.lettuce.get(this.redisKeys[i]) != null, "Redis holds no entry for key " + i);
		}
	}

	private static void check(boolean condition, String problem) {
		if (!condition) {
			throw new IllegalStateException("Sanity check failed: " + problem);
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws Exception {
		long loads = this.remote.getStatistics().loadSuccesses() - this.loadsBefore;
		this.connection.close();
		this.client.shutdown();
		this.withRedis.close();
		this.redis.close();
		check(loads == 0, "the remote cache ran its method " + loads
				+ " times while measured: some calls loaded instead of reading Redis");
	}

	@Benchmark
	public String remoteHit(HitBenchmarks.Cursor cursor) {
		int key = cursor.next();
		this.remote.invalidateLocally(Keys.BOXED[key]);
		return this.on.remote(key);
	}

	@Benchmark
	public void invalidateLocallyOnly(HitBenchmarks.Cursor cursor) {
		this.remote.invalidateLocally(Keys.BOXED[cursor.next()]);
	}

	@Benchmark
	public byte[] lettuceGet(HitBenchmarks.Cursor cursor) {
		return this.lettuce.get(this.redisKeys[cursor.next()]);
	}

}
