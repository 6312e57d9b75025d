package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.cached.engine.CachedCache;
import dev.cached.key.StableKeys;
import dev.cached.redis.RedisKeyLayout;
import dev.cached.testing.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Several instances of one application on one Redis, in one JVM: {@value #INSTANCES}
 * application contexts of {@link RedisBenchmarkApplication}, each with the Redis tier on,
 * sharing a {@code redis-server} that this harness starts on a free port (and destroys at
 * the end). Without a {@code redis-server} it prints a line saying so and measures
 * nothing. Two measurements:
 * <ol>
 * <li><b>Stampede across instances</b>: {@value #CALLERS} caller threads per instance
 * are released together on one cold key of a remote cache whose body takes
 * {@value Stampede#BODY_MILLIS} ms. Per round: the body's executions across all
 * instances (must be 1, or the harness fails), and the time from the end of the leader's
 * body (its last statement records {@link System#nanoTime()}) until the last caller on any
 * instance had its value.</li>
 * <li><b>Invalidation propagation</b>: instance A invalidates a key that B and C hold in
 * their local stores; a dedicated thread busy-spins ({@link Thread#onSpinWait()}) on
 * B's and C's engines ({@link CachedCache#peek(Object)}) and records when each no longer
 * holds it. Measured from just before the call on A, for a remote cache (A deletes the
 * Redis entry, then publishes) and for a cache that is not remote (A publishes only).</li>
 * </ol>
 * {@link BenchmarkMain} runs it with the other harnesses; alone:
 * {@code java -cp ... dev.cached.benchmarks.ManyInstances [rounds [invalidations]]}.
 */
public final class ManyInstances {

	static final int INSTANCES = 3;

	static final int CALLERS = 32;

	static final int WARMUP_ROUNDS = 50;

	static final int ROUNDS = 500;

	static final int WARMUP_INVALIDATIONS = 100;

	static final int INVALIDATIONS = 1000;

	private static final long TIMEOUT_SECONDS = 30;

	/** Keys of the stampede rounds and of the invalidations: clear of each other. */
	private static long nextKey = 1L << 40;

	private ManyInstances() {
	}

	public static void main(String[] args) {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : ROUNDS;
		int invalidations = (args.length > 1) ? Integer.parseInt(args[1]) : INVALIDATIONS;
		try {
			Result result = run(rounds, invalidations);
			if (result != null) {
				System.out.print(result.table());
			}
			System.exit(0);
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			System.err.println("BENCHMARK FAILED: " + ex);
			System.exit(1);
		}
	}

	/**
	 * Run both measurements with the default counts, or skip them without a
	 * {@code redis-server}.
	 * @return the result, or {@code null} if skipped
	 * @throws Exception if a sanity check or a round fails
	 */
	static @Nullable Result run() throws Exception {
		return run(ROUNDS, INVALIDATIONS);
	}

	static @Nullable Result run(int rounds, int invalidations) throws Exception {
		if (RedisBenchmarkApplication.redisServerBinary() == null) {
			System.out.println("# " + RedisBenchmarkApplication.REDIS_MISSING);
			return null;
		}
		String version = RedisBenchmarkApplication.redisServerVersion();
		String loadBefore = BenchmarkMain.loadAverage();
		try (RedisServer redis = RedisBenchmarkApplication.startRedis(); Instances instances = new Instances(redis)) {
			System.out.println("# Many instances: " + INSTANCES + " instances on redis-server port " + redis.port());
			instances.checkSanity();
			System.out.println("# Many instances: sanity pass ok");
			Latencies stampede = stampede(instances, rounds);
			Propagation remote = propagation(instances, RemoteService.PAYLOAD_CACHE, true, invalidations);
			Propagation local = propagation(instances, RemoteService.LOCAL_ONLY_CACHE, false, invalidations);
			return new Result(version, loadBefore, BenchmarkMain.loadAverage(), stampede, remote, local);
		}
	}

	/** The stampede across instances: {@code rounds} rounds after {@value #WARMUP_ROUNDS} warm-up rounds. */
	private static Latencies stampede(Instances instances, int rounds) throws Exception {
		ExecutorService callers = Executors.newFixedThreadPool(INSTANCES * CALLERS);
		try {
			for (int i = 0; i < WARMUP_ROUNDS; i++) {
				round(instances, callers);
			}
			double[] afterLoad = new double[rounds];
			double[] afterRelease = new double[rounds];
			double[] otherInstances = new double[rounds];
			double[] firstOther = new double[rounds];
			for (int i = 0; i < rounds; i++) {
				long[] round = round(instances, callers);
				afterLoad[i] = round[0] / 1e6;
				afterRelease[i] = round[1] / 1e6;
				otherInstances[i] = round[2] / 1e6;
				firstOther[i] = round[3] / 1e6;
			}
			return new Latencies(afterLoad, afterRelease, otherInstances, firstOther);
		}
		finally {
			callers.shutdownNow();
		}
	}

	/**
	 * One round on a new key: returns {nanos from the leader's load end until the last
	 * caller was served, nanos from the release until then, nanos from the load end until
	 * the last caller of the other instances was served, until the first one was}.
	 */
	private static long[] round(Instances instances, ExecutorService callers) throws Exception {
		long key = nextKey++;
		String expected = Keys.VALUES[(int) key & Keys.MASK];
		int total = INSTANCES * CALLERS;
		CountDownLatch ready = new CountDownLatch(total);
		CountDownLatch start = new CountDownLatch(1);
		long[] served = new long[total];
		List<Future<?>> futures = new ArrayList<>(total);
		for (int i = 0; i < total; i++) {
			int caller = i;
			RemoteService service = instances.services[caller / CALLERS];
			futures.add(callers.submit(() -> {
				ready.countDown();
				start.await();
				String value = service.slow(key);
				served[caller] = System.nanoTime();
				if (!expected.equals(value)) {
					throw new IllegalStateException("A caller got '" + value + "' instead of '" + expected + "'");
				}
				return value;
			}));
		}
		if (!ready.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
			throw new IllegalStateException("The callers did not start");
		}
		long[] before = instances.slowExecutions();
		long executionsBefore = Executions.of(RemoteService.SLOW);
		RemoteService.slowLoadEnd = 0;
		long released = System.nanoTime();
		start.countDown();
		for (Future<?> future : futures) {
			future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
		}
		long executions = Executions.of(RemoteService.SLOW) - executionsBefore;
		if (executions != 1) {
			throw new IllegalStateException("Stampede across instances: the body ran " + executions + " times for "
					+ total + " callers of one cold key on " + INSTANCES + " instances (expected 1)");
		}
		long[] after = instances.slowExecutions();
		int leader = -1;
		for (int i = 0; i < INSTANCES; i++) {
			if (after[i] != before[i]) {
				leader = i;
			}
		}
		long loadEnd = RemoteService.slowLoadEnd;
		if (leader < 0 || loadEnd == 0) {
			throw new IllegalStateException("Stampede across instances: no leader recorded its load");
		}
		long last = Arrays.stream(served).max().getAsLong();
		long lastOther = Long.MIN_VALUE;
		long firstOther = Long.MAX_VALUE;
		for (int i = 0; i < total; i++) {
			if (i / CALLERS != leader) {
				lastOther = Math.max(lastOther, served[i]);
				firstOther = Math.min(firstOther, served[i]);
			}
		}
		return new long[] { last - loadEnd, last - released, lastOther - loadEnd, firstOther - loadEnd };
	}

	/**
	 * Instance A (0) invalidates a key that B (1) and C (2) hold, {@code count} times
	 * after {@value #WARMUP_INVALIDATIONS} warm-up invalidations.
	 */
	private static Propagation propagation(Instances instances, String name, boolean remote, int count)
			throws Exception {
		CachedCache a = RedisBenchmarkApplication.cache(instances.contexts.get(0), name, remote);
		CachedCache b = RedisBenchmarkApplication.cache(instances.contexts.get(1), name, remote);
		CachedCache c = RedisBenchmarkApplication.cache(instances.contexts.get(2), name, remote);
		Watcher watcher = new Watcher(b, c);
		Thread thread = new Thread(watcher, "invalidation-watcher");
		thread.setDaemon(true);
		thread.start();
		try {
			for (int i = 0; i < WARMUP_INVALIDATIONS; i++) {
				invalidation(instances, name, remote, a, watcher);
			}
			double[] toB = new double[count];
			double[] toC = new double[count];
			double[] toBoth = new double[count];
			double[] call = new double[count];
			for (int i = 0; i < count; i++) {
				long[] times = invalidation(instances, name, remote, a, watcher);
				toB[i] = times[0] / 1e6;
				toC[i] = times[1] / 1e6;
				toBoth[i] = Math.max(times[0], times[1]) / 1e6;
				call[i] = times[2] / 1e6;
			}
			return new Propagation(name, remote, toB, toC, toBoth, call);
		}
		finally {
			thread.interrupt();
		}
	}

	/** One invalidation of a new key: returns {nanos until B dropped it, until C did, of the call on A}. */
	private static long[] invalidation(Instances instances, String name, boolean remote, CachedCache a,
			Watcher watcher) throws Exception {
		long key = nextKey++;
		String expected = Keys.VALUES[(int) key & Keys.MASK];
		String variant = remote ? RemoteService.PAYLOAD : RemoteService.LOCAL_ONLY;
		long before = Executions.of(variant);
		// B first: with a remote cache it loads and writes Redis, then C and A read Redis
		for (int instance : new int[] { 1, 2, 0 }) {
			RemoteService service = instances.services[instance];
			String value = remote ? service.payload(key) : service.localOnly(key);
			if (!expected.equals(value)) {
				throw new IllegalStateException(name + " returned '" + value + "' instead of '" + expected + "'");
			}
		}
		long executions = Executions.of(variant) - before;
		if (executions != (remote ? 1 : INSTANCES)) {
			throw new IllegalStateException("Sanity check failed: " + name + " ran its body " + executions
					+ " times for one key on " + INSTANCES + " instances (expected " + (remote ? 1 : INSTANCES) + ")");
		}
		Long boxed = key;
		if (remote && !instances.inRedis(a, boxed)) {
			throw new IllegalStateException("Sanity check failed: " + name + " did not write key " + key + " to Redis");
		}
		Probe probe = new Probe(boxed);
		watcher.probes.put(probe);
		if (!probe.watching.await(TIMEOUT_SECONDS, TimeUnit.SECONDS) || probe.failure != null) {
			throw new IllegalStateException("Invalidation propagation, " + name + ": "
					+ Objects.requireNonNullElse(probe.failure, "the watcher did not start"));
		}
		long called = System.nanoTime();
		a.invalidate(boxed);
		long returned = System.nanoTime();
		if (!probe.done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS) || probe.failure != null) {
			throw new IllegalStateException("Invalidation propagation, " + name + ": "
					+ Objects.requireNonNullElse(probe.failure, "the watcher did not finish"));
		}
		if (a.peek(boxed) != null || (remote && instances.inRedis(a, boxed))) {
			throw new IllegalStateException("Sanity check failed: " + name + " still holds key " + key
					+ " on the invalidating instance or in Redis");
		}
		return new long[] { probe.droppedB - called, probe.droppedC - called, returned - called };
	}

	static double percentile(double[] values, double percentile) {
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int rank = (int) Math.ceil(percentile / 100 * sorted.length);
		return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
	}

	/**
	 * The running instances and their services.
	 */
	static final class Instances implements AutoCloseable {

		final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

		final RemoteService[] services = new RemoteService[INSTANCES];

		private final RedisServer redis;

		Instances(RedisServer redis) {
			this.redis = redis;
			try {
				for (int i = 0; i < INSTANCES; i++) {
					ConfigurableApplicationContext context = RedisBenchmarkApplication.start(redis.port());
					this.contexts.add(context);
					this.services[i] = context.getBean(RemoteService.class);
				}
			}
			catch (RuntimeException | Error ex) {
				close();
				throw ex;
			}
		}

		/** Whether Redis holds the entry of {@code key} in {@code cache}. */
		boolean inRedis(CachedCache cache, Object key) {
			// under the cache's current generation (the field g of its meta hash, 0 before any clear)
			Object generation = this.redis.command("HGET", RedisKeyLayout.meta("cached:", cache.getName()), "g");
			long g = (generation != null) ? Long.parseLong(generation.toString()) : 0;
			return this.redis.get(RedisKeyLayout.entry("cached:", cache.getName(), g, StableKeys.encode(key))) != null;
		}

		long[] slowExecutions() {
			long[] executions = new long[INSTANCES];
			for (int i = 0; i < INSTANCES; i++) {
				executions[i] = this.services[i].slowExecutionsHere();
			}
			return executions;
		}

		/**
		 * Wait until every instance listens to the others, then prove that the caches are
		 * remote (or not) as configured, that a key loaded on one instance is a Redis hit
		 * on the others, and that an invalidation reaches them.
		 */
		void checkSanity() throws Exception {
			RedisClient client = RedisClient.create(RedisURI.create(RedisServer.HOST, this.redis.port()));
			try (StatefulRedisConnection<String, String> connection = client.connect()) {
				String channel = "cached:events";
				long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
				for (;;) {
					Map<String, Long> subscribers = connection.sync().pubsubNumsub(channel);
					if (subscribers.getOrDefault(channel, 0L) == INSTANCES) {
						break;
					}
					if (System.nanoTime() - deadline > 0) {
						throw new IllegalStateException("Sanity check failed: " + subscribers
								+ " instances listen on " + channel + " (expected " + INSTANCES + ")");
					}
					// polling Redis until the instances' subscriptions, made in the background, hold
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
				}
			}
			finally {
				client.shutdown();
			}
			for (ConfigurableApplicationContext context : this.contexts) {
				RedisBenchmarkApplication.cache(context, RemoteService.SLOW_CACHE, true);
				RedisBenchmarkApplication.cache(context, RemoteService.PAYLOAD_CACHE, true);
				RedisBenchmarkApplication.cache(context, RemoteService.LOCAL_ONLY_CACHE, false);
			}
			long key = -1;
			long before = Executions.of(RemoteService.SLOW);
			for (RemoteService service : this.services) {
				String value = service.slow(key);
				if (!Keys.VALUES[(int) key & Keys.MASK].equals(value)) {
					throw new IllegalStateException("Sanity check failed: RemoteService.slow returned '" + value + "'");
				}
			}
			long executions = Executions.of(RemoteService.SLOW) - before;
			if (executions != 1) {
				throw new IllegalStateException("Sanity check failed: RemoteService.slow ran its body " + executions
						+ " times for one key called once on each of " + INSTANCES
						+ " instances (expected 1: the others read Redis); refusing to measure");
			}
		}

		@Override
		public void close() {
			for (ConfigurableApplicationContext context : this.contexts) {
				context.close();
			}
			this.contexts.clear();
		}

	}

	/**
	 * One invalidation to watch: B's and C's drop times, taken by the watcher.
	 */
	static final class Probe {

		final Object key;

		final CountDownLatch watching = new CountDownLatch(1);

		final CountDownLatch done = new CountDownLatch(1);

		long droppedB;

		long droppedC;

		volatile @Nullable String failure;

		Probe(Object key) {
			this.key = key;
		}

	}

	/**
	 * The dedicated thread that busy-spins on B's and C's local stores until neither holds
	 * the probe's key.
	 */
	static final class Watcher implements Runnable {

		final BlockingQueue<Probe> probes = new SynchronousQueue<>();

		private final CachedCache b;

		private final CachedCache c;

		Watcher(CachedCache b, CachedCache c) {
			this.b = b;
			this.c = c;
		}

		@Override
		public void run() {
			try {
				for (;;) {
					watch(this.probes.take());
				}
			}
			catch (InterruptedException ex) {
				// the measurement is over
			}
		}

		private void watch(Probe probe) {
			Object key = probe.key;
			if (this.b.peek(key) == null || this.c.peek(key) == null) {
				probe.failure = "B or C does not hold key " + key + " before the invalidation";
				probe.watching.countDown();
				probe.done.countDown();
				return;
			}
			probe.watching.countDown();
			long droppedB = 0;
			long droppedC = 0;
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
			while (droppedB == 0 || droppedC == 0) {
				if (droppedB == 0 && this.b.peek(key) == null) {
					droppedB = System.nanoTime();
				}
				if (droppedC == 0 && this.c.peek(key) == null) {
					droppedC = System.nanoTime();
				}
				if (System.nanoTime() - deadline > 0) {
					probe.failure = "key " + key + " still held after " + TIMEOUT_SECONDS + " s (B dropped it: "
							+ (droppedB != 0) + ", C: " + (droppedC != 0) + ")";
					break;
				}
				Thread.onSpinWait();
			}
			probe.droppedB = droppedB;
			probe.droppedC = droppedC;
			probe.done.countDown();
		}

	}

	/**
	 * The stampede's rounds, in milliseconds.
	 * @param afterLoad from the leader's load end until the last caller was served
	 * @param afterRelease from the release until the last caller was served
	 * @param otherInstances from the leader's load end until the last caller of the other
	 * instances was served
	 * @param firstOther from the leader's load end until the first caller of the other
	 * instances was served
	 */
	record Latencies(double[] afterLoad, double[] afterRelease, double[] otherInstances, double[] firstOther) {
	}

	/**
	 * The invalidations of one cache, in milliseconds.
	 * @param cache the cache
	 * @param remote whether it is remote
	 * @param toB until B dropped the key
	 * @param toC until C dropped it
	 * @param toBoth until both had
	 * @param call how long the call on A took
	 */
	record Propagation(String cache, boolean remote, double[] toB, double[] toC, double[] toBoth, double[] call) {
	}

	/**
	 * What the harness measured.
	 * @param redisVersion the {@code redis-server --version} line
	 * @param loadBefore the load average before
	 * @param loadAfter the load average after
	 * @param stampede the stampede across instances
	 * @param remote the invalidations of the remote cache
	 * @param local the invalidations of the cache that is not remote
	 */
	record Result(String redisVersion, String loadBefore, String loadAfter, Latencies stampede, Propagation remote,
			Propagation local) {

		String table() {
			StringBuilder table = new StringBuilder();
			table.append(String.format(Locale.ROOT, "%nMany instances: %d instances (application contexts in one JVM) "
					+ "on one redis-server (%s), load average %s before, %s after%n", INSTANCES, this.redisVersion,
					this.loadBefore, this.loadAfter));
			Latencies stampede = this.stampede;
			table.append(String.format(Locale.ROOT,
					"%nStampede across instances: %d x %d callers on one cold key of a remote cache, body %d ms, "
							+ "%d rounds after %d warm-up rounds; executions: 1 in every round%n%n",
					INSTANCES, CALLERS, Stampede.BODY_MILLIS, stampede.afterLoad().length, WARMUP_ROUNDS));
			table.append("| ms | p50 | p99 | max |\n|---|---|---|---|\n");
			row(table, "leader's load end -> last caller served (any instance)", stampede.afterLoad());
			row(table, "leader's load end -> last caller of the other instances served", stampede.otherInstances());
			row(table, "leader's load end -> first caller of the other instances served", stampede.firstOther());
			row(table, "release -> last caller served", stampede.afterRelease());
			table.append(String.format(Locale.ROOT,
					"%nInvalidation propagation: A invalidates a key that B and C hold; %d invalidations after %d "
							+ "warm-up ones, per cache%n%n",
					this.remote.toB().length, WARMUP_INVALIDATIONS));
			table.append("| ms | p50 | p99 | max |\n|---|---|---|---|\n");
			for (Propagation propagation : List.of(this.remote, this.local)) {
				String cache = propagation.cache() + (propagation.remote() ? " (remote)" : " (not remote)");
				row(table, cache + ": call on A -> B dropped it", propagation.toB());
				row(table, cache + ": call on A -> C dropped it", propagation.toC());
				row(table, cache + ": call on A -> B and C dropped it", propagation.toBoth());
				row(table, cache + ": the call on A itself", propagation.call());
			}
			return table.toString();
		}

		private static void row(StringBuilder table, String label, double[] millis) {
			table.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", label, percentile(millis, 50),
					percentile(millis, 99), percentile(millis, 100)));
		}

	}

}
