package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.cached.benchmarks.InvalidationWatcher.Probe;
import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;

/**
 * Several instances of one application on one Redis, in one JVM: {@value #INSTANCES}
 * application contexts of {@link RedisBenchmarkApplication} ({@link RedisInstances}), each
 * with the Redis tier on, sharing a Redis that this harness starts on free ports (and
 * destroys at the end): one {@code redis-server}, or a Redis Cluster with
 * {@code -Dbench.redis=cluster} ({@link BenchmarkRedis}). Without a {@code redis-server}
 * it prints a line saying so and measures nothing. Two measurements:
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
 * {@code java [-Dbench.redis=cluster] -cp ... dev.cached.benchmarks.ManyInstances [rounds [invalidations]]}.
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
		if (!BenchmarkRedis.available()) {
			System.out.println("# " + RedisBenchmarkApplication.REDIS_MISSING);
			return null;
		}
		String version = BenchmarkRedis.version();
		String loadBefore = BenchmarkMain.loadAverage();
		try (BenchmarkRedis redis = BenchmarkRedis.start();
				RedisInstances instances = new RedisInstances(redis, INSTANCES)) {
			String topology = redis.describe();
			System.out.println("# Many instances: " + INSTANCES + " instances on " + topology);
			instances.checkSanity();
			System.out.println("# Many instances: sanity pass ok; "
					+ redis.placement(RedisInstances.CHANNEL, RemoteService.PAYLOAD_CACHE));
			Latencies stampede = stampede(instances, rounds);
			Propagation remote = propagation(instances, RemoteService.PAYLOAD_CACHE, true, invalidations);
			Propagation local = propagation(instances, RemoteService.LOCAL_ONLY_CACHE, false, invalidations);
			return new Result(topology, version, loadBefore, BenchmarkMain.loadAverage(), stampede, remote, local);
		}
	}

	/** The stampede across instances: {@code rounds} rounds after {@value #WARMUP_ROUNDS} warm-up rounds. */
	private static Latencies stampede(RedisInstances instances, int rounds) throws Exception {
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
	private static long[] round(RedisInstances instances, ExecutorService callers) throws Exception {
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
	private static Propagation propagation(RedisInstances instances, String name, boolean remote, int count)
			throws Exception {
		CachedCache a = RedisBenchmarkApplication.cache(instances.contexts.get(0), name, remote);
		CachedCache b = RedisBenchmarkApplication.cache(instances.contexts.get(1), name, remote);
		CachedCache c = RedisBenchmarkApplication.cache(instances.contexts.get(2), name, remote);
		InvalidationWatcher watcher = new InvalidationWatcher(b, c);
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
	private static long[] invalidation(RedisInstances instances, String name, boolean remote, CachedCache a,
			InvalidationWatcher watcher) throws Exception {
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
	 * @param topology the Redis it ran on ({@link BenchmarkRedis#describe()})
	 * @param redisVersion the {@code redis-server --version} line
	 * @param loadBefore the load average before
	 * @param loadAfter the load average after
	 * @param stampede the stampede across instances
	 * @param remote the invalidations of the remote cache
	 * @param local the invalidations of the cache that is not remote
	 */
	record Result(String topology, String redisVersion, String loadBefore, String loadAfter, Latencies stampede, Propagation remote,
			Propagation local) {

		String table() {
			StringBuilder table = new StringBuilder();
			table.append(String.format(Locale.ROOT, "%nMany instances: %d instances (application contexts in one JVM) "
					+ "on %s (%s), load average %s before, %s after%n", INSTANCES, this.topology, this.redisVersion,
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
