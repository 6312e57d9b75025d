package dev.cached.benchmarks;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Cache;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.redis.RedisKeyLayout;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
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
import org.openjdk.jmh.infra.ThreadParams;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Redis tier, one instance: each fork starts its own {@code redis-server} on a free
 * port (or a Redis Cluster with {@code -Dbench.redis=cluster}, see {@link BenchmarkRedis})
 * and one application of {@link RedisBenchmarkApplication} on it (tier on), checks
 * that every variant does what it is named for, and destroys both at the end. Every key
 * ({@code 0..1023}) is cached, locally and in Redis, before measuring.
 * <ul>
 * <li>{@link #localHit}: the hit benchmark of {@link HitBenchmarks#cachedKeyId}
 * ({@code @Cached(key = "#id")}, same service class, same keys, same fork settings) on a
 * remote cache with the tier on; compare it with {@code HitBenchmarks.cachedKeyId} of the
 * same run.</li>
 * <li>{@link #remoteHit}: a local miss answered by Redis. Each call first removes the key
 * from the local store only ({@link CachedCache#invalidateLocally(Object)}, no Redis call),
 * then calls the method: the proxy, a local miss, one Lua script in Redis (the meta hash, STRLEN, GET and PTTL),
 * the JSON read back as a {@code String} and stored locally.</li>
 * <li>{@link #invalidateLocally}: what {@link #remoteHit} spends before its call: the
 * key put into the local store directly (Caffeine {@code put}) and removed again.</li>
 * <li>{@link #lettuceGet}: a raw Lettuce {@code GET} of the very Redis entries that
 * {@link #remoteHit} reads (34 bytes, a JSON string of 32 characters), on the same server,
 * through a connection of its own ({@code RedisClient.connect(ByteArrayCodec).sync()}, or
 * a {@code RedisClusterClient}'s on a cluster).</li>
 * <li>{@link #lettuceEval}: the same connection running the tier's own look-up script
 * (read from {@code dev.cached.redis.Scripts.LOOKUP}) on the same entries, sent with its
 * text ({@code EVAL}), as the tier sent it before it sent scripts by their digest.</li>
 * <li>{@link #lettuceEvalsha}: the same script sent by its digest ({@code EVALSHA}), as the
 * tier sends it: what Redis and the round trip cost in a remote hit, without the tier's
 * Java side.</li>
 * </ul>
 * All but the first walk keys that no other thread touches ({@link Partition}). The fork
 * fails (and so does the run) if, once measured, a remote hit turned out to be anything
 * but a Redis hit: a load ran, a Redis call failed, or a call was a local hit.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class RedisBenchmarks {

	private BenchmarkRedis redis;

	private ConfigurableApplicationContext context;

	private CachedService cached;

	private RemoteService remote;

	private CachedCache payload;

	private Cache<Object, Object> payloadStore;

	private RedisClusterCommands<byte[], byte[]> lettuce;

	private final byte[][] redisKeys = new byte[Keys.COUNT][];

	/** The look-up script's key: the cache's meta hash. */
	private final byte[][][] scriptKeys = new byte[Keys.COUNT][][];

	/** The look-up script's arguments per key: base, key, token, lease time, least version, largest size. */
	private final byte[][][] scriptArguments = new byte[Keys.COUNT][][];

	private String lookupScript;

	private String lookupSha;

	private final byte[] token = "benchmark".getBytes(StandardCharsets.UTF_8);

	private final byte[] leaseMillis = "10000".getBytes(StandardCharsets.UTF_8);

	private long payloadExecutions;

	private long localHits;

	private long remoteHits;

	private boolean checked;

	@Setup(Level.Trial)
	public void setUp() throws ReflectiveOperationException, NoSuchAlgorithmException {
		if (!BenchmarkRedis.available()) {
			throw new IllegalStateException(RedisBenchmarkApplication.REDIS_MISSING);
		}
		// the tier's own script, not a copy that could drift from it
		Field lookup = Class.forName("dev.cached.redis.Scripts").getDeclaredField("LOOKUP");
		lookup.setAccessible(true);
		Object script = lookup.get(null);
		if (script instanceof String text) {
			// a build before the tier sent scripts by their digest: measured with the same code
			this.lookupScript = text;
			this.lookupSha = sha1(text);
		}
		else {
			Method text = script.getClass().getDeclaredMethod("text");
			text.setAccessible(true);
			this.lookupScript = (String) text.invoke(script);
			this.lookupSha = sha1(this.lookupScript);
		}
		this.redis = BenchmarkRedis.start();
		try {
			this.context = this.redis.startInstance();
			this.cached = this.context.getBean(CachedService.class);
			this.remote = this.context.getBean(RemoteService.class);
			this.lettuce = this.redis.lettuce(ByteArrayCodec.INSTANCE);
			checkSanity();
		}
		catch (RuntimeException | Error ex) {
			tearDown();
			throw ex;
		}
	}

	/**
	 * Prove that each benchmark measures what it is named for, before measuring.
	 */
	private void checkSanity() {
		long byIdKey = Executions.of(CachedService.BY_ID_KEY);
		long payload = Executions.of(RemoteService.PAYLOAD);
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < Keys.COUNT; i++) {
				check(Keys.VALUES[i].equals(this.cached.byIdKey(i)), "byIdKey returned a wrong value for " + i);
				check(Keys.VALUES[i].equals(this.remote.payload(i)), "payload returned a wrong value for " + i);
			}
		}
		check(Executions.of(CachedService.BY_ID_KEY) - byIdKey == Keys.COUNT,
				"byIdKey does not cache: it ran " + (Executions.of(CachedService.BY_ID_KEY) - byIdKey)
						+ " times for " + Keys.COUNT + " keys called twice each");
		check(Executions.of(RemoteService.PAYLOAD) - payload == Keys.COUNT, "payload does not cache");
		CachedCache byIdKeyCache = RedisBenchmarkApplication.cache(this.context,
				RedisBenchmarkApplication.BY_ID_KEY_CACHE, true);
		this.payload = RedisBenchmarkApplication.cache(this.context, RemoteService.PAYLOAD_CACHE, true);
		this.payloadStore = this.payload.getNativeCache();
		String cache = RemoteService.PAYLOAD_CACHE;
		byte[] generationBytes = this.lettuce.hget(RedisKeyLayout.meta("cached:", cache).getBytes(StandardCharsets.UTF_8),
				"g".getBytes(StandardCharsets.UTF_8));
		String generation = (generationBytes != null) ? new String(generationBytes, StandardCharsets.UTF_8) : "0";
		long g = Long.parseLong(generation);
		for (int i = 0; i < Keys.COUNT; i++) {
			check(byIdKeyCache.peek(Keys.BOXED[i]) != null, "the local hit's store lacks key " + i);
			// the local invalidation must reach the stored key, or remoteHit would be a local hit
			check(this.payload.peek(Keys.BOXED[i]) != null, "the remote hit's store lacks key " + i);
			this.payload.invalidateLocally(Keys.BOXED[i]);
			check(this.payload.peek(Keys.BOXED[i]) == null, "invalidateLocally left key " + i);
			// the cache's entries live under its current generation (the meta hash's field g)
			String stable = Integer.toString(i);
			this.redisKeys[i] = RedisKeyLayout.entry("cached:", cache, g, stable).getBytes(StandardCharsets.UTF_8);
			this.scriptKeys[i] = new byte[][] {
					RedisKeyLayout.bucketMeta("cached:", cache, stable).getBytes(StandardCharsets.UTF_8), this.redisKeys[i],
					RedisKeyLayout.lease("cached:", cache, g, stable).getBytes(StandardCharsets.UTF_8) };
			byte[] expected = ("\"" + Keys.VALUES[i] + "\"").getBytes(StandardCharsets.UTF_8);
			check(Arrays.equals(expected, this.lettuce.get(this.redisKeys[i])),
					"Redis does not hold the JSON of key " + i + " where the raw GET reads it");
			// generation, least version of the bucket, token, lease millis, largest size
			this.scriptArguments[i] = new byte[][] { generation.getBytes(StandardCharsets.UTF_8),
					"0".getBytes(StandardCharsets.UTF_8), this.token, this.leaseMillis,
					Integer.toString(1024 * 1024).getBytes(StandardCharsets.UTF_8) };
			List<Object> reply = lookUp(i);
			// {1, v, value, pttl}
			check(reply.size() == 4 && Long.valueOf(1).equals(reply.get(0))
					&& Arrays.equals(expected, (byte[]) reply.get(2)),
					"the look-up script does not find key " + i + " where the tier reads it");
		}
		long before = this.payload.getRemoteStatistics().hits();
		for (int i = 0; i < Keys.COUNT; i++) {
			check(Keys.VALUES[i].equals(this.remote.payload(i)), "a remote hit returned a wrong value for " + i);
		}
		check(Executions.of(RemoteService.PAYLOAD) - payload == Keys.COUNT, "a remote hit ran the method");
		check(this.payload.getRemoteStatistics().hits() - before == Keys.COUNT,
				"a call after a local miss was not a Redis hit");
		check(this.payload.getRemoteStatistics().errors() == 0, "a Redis call failed");
		this.payloadExecutions = Executions.of(RemoteService.PAYLOAD);
		this.localHits = this.payload.getStatistics().hits();
		this.remoteHits = this.payload.getRemoteStatistics().hits();
		this.checked = true;
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		String problem = null;
		// counted from the end of the sanity checks: a set-up that failed before reports its own failure
		if (this.checked) {
			CacheStatistics statistics = this.payload.getStatistics();
			RemoteStatistics remote = this.payload.getRemoteStatistics();
			long executions = Executions.of(RemoteService.PAYLOAD) - this.payloadExecutions;
			long hits = statistics.hits() - this.localHits;
			long redisHits = remote.hits() - this.remoteHits;
			if (executions != 0 || remote.errors() != 0 || hits != redisHits) {
				problem = String.format("while measuring, the remote-hit cache ran its method %d times, counted %d "
						+ "Redis errors and %d hits of which %d Redis hits: not every call was a Redis hit",
						executions, remote.errors(), hits, redisHits);
			}
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

	/** What the fork runs on ({@link BenchmarkRedis#describe()}), once set up. */
	String topology() {
		return this.redis.describe();
	}

	/**
	 * A local hit on a remote cache, the tier on: the same call as
	 * {@link HitBenchmarks#cachedKeyId}.
	 */
	@Benchmark
	public String localHit(HitBenchmarks.Cursor cursor) {
		return this.cached.byIdKey(cursor.next());
	}

	/**
	 * A Redis hit: the key removed locally, then the call, answered by Redis.
	 */
	@Benchmark
	public String remoteHit(Partition cursor) {
		int i = cursor.next();
		this.payload.invalidateLocally(Keys.BOXED[i]);
		return this.remote.payload(i);
	}

	/**
	 * What {@link #remoteHit} spends before its call, measured alone: the key stored
	 * locally (as the previous remote hit left it) and removed.
	 */
	@Benchmark
	public void invalidateLocally(Partition cursor) {
		int i = cursor.next();
		this.payloadStore.put(Keys.BOXED[i], Keys.VALUES[i]);
		this.payload.invalidateLocally(Keys.BOXED[i]);
	}

	/**
	 * A raw Lettuce {@code GET} of the Redis entry that {@link #remoteHit} reads.
	 */
	@Benchmark
	public byte[] lettuceGet(Partition cursor) {
		return this.lettuce.get(this.redisKeys[cursor.next()]);
	}

	/**
	 * Each thread's position in its own share of the keys (those equal to its index
	 * modulo the thread count): no two threads ever touch the same key, so a remote hit
	 * can never be answered by another thread's load or store.
	 */
	@State(Scope.Thread)
	public static class Partition {

		private int first;

		private int step;

		private int next;

		@Setup(Level.Trial)
		public void setUp(ThreadParams thread) {
			this.first = thread.getThreadIndex();
			this.step = thread.getThreadCount();
			this.next = this.first;
		}

		/** The whole key range, for one thread outside JMH ({@link RedisHitPairs}). */
		static Partition all() {
			Partition partition = new Partition();
			partition.step = 1;
			return partition;
		}

		int next() {
			int key = this.next;
			this.next = (key + this.step < Keys.COUNT) ? key + this.step : this.first;
			return key;
		}

	}

	/**
	 * The tier's look-up script on the raw connection, as the tier sends it.
	 */
	@Benchmark
	public List<Object> lettuceEval(Partition cursor) {
		return lookUp(cursor.next());
	}

	/**
	 * The same script sent as the tier sends it: by its digest ({@code EVALSHA}; the sanity
	 * pass's {@code EVAL} made Redis hold it).
	 */
	@Benchmark
	public List<Object> lettuceEvalsha(Partition cursor) {
		int i = cursor.next();
		return this.lettuce.evalsha(this.lookupSha, ScriptOutputType.MULTI, this.scriptKeys[i],
				this.scriptArguments[i]);
	}

	private List<Object> lookUp(int i) {
		return this.lettuce.eval(this.lookupScript, ScriptOutputType.MULTI, this.scriptKeys[i], this.scriptArguments[i]);
	}

	private static String sha1(String script) throws NoSuchAlgorithmException {
		return HexFormat.of()
			.formatHex(MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
	}

	private static void check(boolean condition, String problem) {
		if (!condition) {
			throw new IllegalStateException("Sanity check failed: " + problem + "; refusing to measure");
		}
	}

}
