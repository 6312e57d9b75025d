package dev.cached.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteTier;
import dev.cached.redis.RedisKeyLayout;
import dev.cached.testing.redis.RedisServer;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * How long each instance serves a value that was invalidated, through the faults that
 * {@code docs/many-instances.md} names: two instances (A and B) of
 * {@link RedisBenchmarkApplication} with the starter's defaults ({@code cached.redis.timeout}
 * 250 ms, {@code max-staleness} 5 s) on a {@code redis-server} of their own, and the remote
 * cache of {@link RemoteService#data(long)}, whose values name the version of the data they
 * were loaded from ({@link RemoteService#DATA_VERSION}, shared by both instances as a
 * database would be).
 * <p>
 * Each fault uses a key of its own: both instances first hold its value (A loads it, B reads
 * it from Redis); then the fault, the data changes and A invalidates the key. From a
 * reference point (the end of the fault, or A's invalidation when Redis never stopped
 * answering) a single thread calls the method on A and on B in turn, as users would, and
 * records for each the time of the last call that returned the old version. An instance
 * has settled once it returned the new version for {@value #SETTLED_MILLIS} ms in a row;
 * one that still returns the old version {@value #WATCH_SECONDS} s after the reference point
 * is reported as serving it for ever.
 * <p>
 * {@code java -cp ... dev.cached.benchmarks.Staleness}: prints one Markdown table.
 */
public final class Staleness {

	static final long WATCH_SECONDS = 30;

	static final long SETTLED_MILLIS = 1000;

	private static final long PAUSE_MILLIS = 600;

	private static final long FREEZE_MILLIS = 2000;

	private static final int HUGE_BYTES = 64 * 1024 * 1024;

	private static long nextKey = 1;

	private Staleness() {
	}

	public static void main(String[] args) {
		try {
			if (RedisBenchmarkApplication.redisServerBinary() == null) {
				System.out.println("# " + RedisBenchmarkApplication.REDIS_MISSING);
				System.exit(0);
			}
			List<Row> rows = run();
			System.out.print(table(rows));
			System.exit(0);
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			System.err.println("STALENESS RUN FAILED: " + ex);
			System.exit(1);
		}
	}

	static List<Row> run() throws Exception {
		String loadBefore = BenchmarkMain.loadAverage();
		List<Row> rows = new ArrayList<>();
		try (RedisServer redis = RedisBenchmarkApplication.startRedis()) {
			ConfigurableApplicationContext a = start(redis);
			ConfigurableApplicationContext b = start(redis);
			try {
				Pair pair = new Pair(a, b);
				add(rows, senderCutOff(redis, pair));
				add(rows, subscriptionLost(redis, pair));
				add(rows, frozen(redis, pair));
				add(rows, killed(redis, pair));
				add(rows, hugeValue(redis, pair));
				// last: it leaves a snapshot behind, from which every later restart would start
				add(rows, restartedOlder(redis, pair));
			}
			finally {
				b.close();
				a.close();
			}
		}
		System.out.println("# load average: " + loadBefore + " -> " + BenchmarkMain.loadAverage());
		return rows;
	}

	private static void add(List<Row> rows, Row row) {
		rows.add(row);
		System.out.print("# " + table(List.of(row)).lines().skip(2).findFirst().orElse("") + "\n");
	}

	private static ConfigurableApplicationContext start(RedisServer redis) {
		return RedisBenchmarkApplication.start(redis.port(), "--cached.redis.timeout=250ms",
				"--cached.caches.[" + RemoteService.DATA_CACHE + "].remote=true");
	}

	/** A's one call while Redis is paused 600 ms, then A invalidates (the issue's reproduction). */
	private static Row senderCutOff(RedisServer redis, Pair pair) throws Exception {
		long key = pair.prepare();
		redis.pause();
		Thread call = new Thread(() -> pair.a.data(nextKey++));
		call.start();
		Thread.sleep(PAUSE_MILLIS);
		redis.resume();
		call.join();
		pair.change(key);
		long from = System.nanoTime();
		return pair.watch("sender cut off: Redis paused " + PAUSE_MILLIS + " ms during one call of A, then A "
				+ "invalidates", "A's invalidation", key, from);
	}

	/** B's subscription is killed; A invalidates at once. */
	private static Row subscriptionLost(RedisServer redis, Pair pair) throws Exception {
		long key = pair.prepare();
		redis.command("CLIENT", "KILL", "TYPE", "pubsub");
		pair.change(key);
		long from = System.nanoTime();
		return pair.watch("receiver's subscription lost (CLIENT KILL TYPE pubsub), A invalidates at once",
				"A's invalidation", key, from);
	}

	/** Redis frozen 2 s; A invalidates during the freeze. */
	private static Row frozen(RedisServer redis, Pair pair) throws Exception {
		long key = pair.prepare();
		redis.pause();
		long paused = System.nanoTime();
		pair.change(key);
		long left = FREEZE_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - paused);
		if (left > 0) {
			Thread.sleep(left);
		}
		redis.resume();
		long from = System.nanoTime();
		return pair.watch("Redis frozen " + FREEZE_MILLIS + " ms (SIGSTOP), A invalidates during the freeze",
				"Redis resumed", key, from);
	}

	/** Redis killed; A invalidates while it is down; Redis restarts empty. */
	private static Row killed(RedisServer redis, Pair pair) throws Exception {
		long key = pair.prepare();
		redis.kill();
		pair.change(key);
		redis.restart();
		long from = System.nanoTime();
		return pair.watch("Redis killed (kill -9), A invalidates while it is down, Redis restarts empty",
				"Redis restarted", key, from);
	}

	/**
	 * Redis saves, the data changes and A invalidates, both instances read the new value,
	 * Redis is killed and restarts from the snapshot that holds the old one.
	 */
	private static Row restartedOlder(RedisServer redis, Pair pair) throws Exception {
		long key = pair.prepare();
		redis.save();
		pair.change(key);
		Row before = pair.watch("(before the restart)", "A's invalidation", key, System.nanoTime());
		if (before.stale[0] < 0 || before.stale[1] < 0) {
			throw new IllegalStateException("the instances never settled before the restart: " + before);
		}
		redis.kill();
		redis.restart();
		long from = System.nanoTime();
		return pair.watch("Redis restarted from an older snapshot (SAVE, invalidate, kill -9, restart)",
				"Redis restarted", key, from);
	}

	/**
	 * A 64 MB value planted under one key of the cache: how long its misses take, whether the
	 * tier stays up, and the staleness of another key invalidated meanwhile.
	 */
	private static Row hugeValue(RedisServer redis, Pair pair) throws Exception {
		long key = pair.prepare();
		long huge = nextKey++;
		redis.set(pair.entryOf(redis, huge), new byte[HUGE_BYTES]);
		long slowest = 0;
		for (int i = 0; i < 10; i++) {
			pair.cacheB.invalidateLocally(huge);
			long start = System.nanoTime();
			pair.b.data(huge);
			slowest = Math.max(slowest, System.nanoTime() - start);
		}
		String stateB = pair.state(pair.b2);
		pair.change(key);
		long from = System.nanoTime();
		Row row = pair.watch("one huge value: " + (HUGE_BYTES >> 20) + " MB planted under another key, 10 misses "
				+ "of it on B, then A invalidates", "A's invalidation", key, from);
		return row.withNote(String.format(Locale.ROOT, "slowest miss of the huge key on B: %.1f ms; B's tier after: %s",
				slowest / 1e6, stateB));
	}

	static String table(List<Row> rows) {
		StringBuilder table = new StringBuilder();
		table.append("| fault | from | A serves the old value for | B serves it for | old answers (A, B) | note |\n");
		table.append("|---|---|---|---|---|---|\n");
		for (Row row : rows) {
			table.append("| ").append(row.fault).append(" | ").append(row.reference).append(" | ")
				.append(duration(row.stale[0])).append(" | ").append(duration(row.stale[1])).append(" | ")
				.append(row.oldAnswers[0]).append(", ").append(row.oldAnswers[1]).append(" | ")
				.append((row.note != null) ? row.note : "").append(" |\n");
		}
		return table.toString();
	}

	private static String duration(long nanos) {
		if (nanos < 0) {
			return "for ever (still after " + WATCH_SECONDS + " s)";
		}
		if (nanos == 0) {
			return "never";
		}
		return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
	}

	/** Two instances and their services, caches and tiers. */
	static final class Pair {

		final RemoteService a;

		final RemoteService b;

		final CachedCache cacheA;

		final CachedCache cacheB;

		final @Nullable RemoteTier b2;

		Pair(ConfigurableApplicationContext a, ConfigurableApplicationContext b) {
			this.a = a.getBean(RemoteService.class);
			this.b = b.getBean(RemoteService.class);
			// the caches exist once a method of theirs was called
			this.a.data(0);
			this.b.data(0);
			this.cacheA = RedisBenchmarkApplication.cache(a, RemoteService.DATA_CACHE, true);
			this.cacheB = RedisBenchmarkApplication.cache(b, RemoteService.DATA_CACHE, true);
			this.b2 = b.getBean(CacheRegistry.class).getRemoteTier();
		}

		/** A fresh key that both instances hold, A having loaded it and B read it from Redis. */
		long prepare() throws InterruptedException {
			long key = nextKey++;
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WATCH_SECONDS);
			String expected = key + "@" + RemoteService.DATA_VERSION.get();
			this.a.data(key);
			// after a fault, B may need a moment before it reads Redis again
			while (!expected.equals(this.b.data(key)) || this.cacheB.peek(key) == null) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("B never held key " + key);
				}
				this.cacheB.invalidateLocally(key);
				Thread.sleep(10);
			}
			return key;
		}

		/** The name of the Redis entry that A writes when it loads {@code key}. */
		String entryOf(RedisServer redis, long key) throws InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WATCH_SECONDS);
			for (;;) {
				Set<String> before = new HashSet<>(redis.keys("*"));
				this.a.data(key);
				List<String> created = new ArrayList<>(redis.keys("*"));
				created.removeAll(before);
				created.removeIf((name) -> name.contains("lease") || name.endsWith(":meta") || name.endsWith(":m")
						|| !name.contains(RedisKeyLayout.cacheId(RemoteService.DATA_CACHE)));
				if (created.size() == 1) {
					return created.get(0);
				}
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("A never wrote key " + key + " to Redis: " + created);
				}
				// the tier may still be in its retry window after the previous fault
				this.cacheA.invalidateLocally(key);
				Thread.sleep(100);
			}
		}

		/** The data changes, and A invalidates the key. */
		void change(long key) {
			RemoteService.DATA_VERSION.incrementAndGet();
			this.cacheA.invalidate(key);
		}

		String state(@Nullable RemoteTier tier) {
			if (tier == null) {
				return "no tier";
			}
			Map<String, Object> status = tier.status();
			return String.valueOf(status.getOrDefault("status", status));
		}

		Row watch(String fault, String reference, long key, long from) {
			RemoteService[] services = { this.a, this.b };
			long current = RemoteService.DATA_VERSION.get();
			long[] lastOld = new long[2];
			long[] settledSince = { -1, -1 };
			long[] oldAnswers = new long[2];
			long end = from + TimeUnit.SECONDS.toNanos(WATCH_SECONDS);
			long settled = TimeUnit.MILLISECONDS.toNanos(SETTLED_MILLIS);
			for (;;) {
				long now = System.nanoTime();
				for (int i = 0; i < 2; i++) {
					String value = services[i].data(key);
					long version = Long.parseLong(value.substring(value.indexOf('@') + 1));
					long at = System.nanoTime();
					if (version < current) {
						lastOld[i] = at;
						settledSince[i] = -1;
						oldAnswers[i]++;
					}
					else if (settledSince[i] < 0) {
						settledSince[i] = at;
					}
				}
				boolean done = settledSince[0] >= 0 && settledSince[1] >= 0 && now - settledSince[0] >= settled
						&& now - settledSince[1] >= settled;
				if (done || now > end) {
					break;
				}
				LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
			}
			long[] stale = new long[2];
			for (int i = 0; i < 2; i++) {
				stale[i] = (settledSince[i] < 0) ? -1 : (lastOld[i] == 0) ? 0 : Math.max(1, settledSince[i] - from);
			}
			return new Row(fault, reference, stale, oldAnswers, null);
		}

	}

	/**
	 * One fault: per instance, nanoseconds from the reference point until it served the new
	 * version for good (0: never served the old one after it; -1: never settled).
	 */
	record Row(String fault, String reference, long[] stale, long[] oldAnswers, @Nullable String note) {

		Row withNote(String note) {
			return new Row(this.fault, this.reference, this.stale, this.oldAnswers, note);
		}

	}

}
