package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import dev.cached.testing.redis.RedisServer;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The stampede with overlapping bulk requests: {@value #CALLERS} threads are released at
 * once on {@value #POOL} cold ids; three in four each ask {@code @CachedAll findAll} for a
 * random {@value #REQUEST} of them, the fourth asks {@code @Cached find} for
 * {@value #SINGLES} random ids one after the other. Every execution takes
 * {@value #BODY_MILLIS} ms. Per round it counts the executions of each element (every
 * element asked must run exactly once: the round fails otherwise), the methods' executions,
 * and each caller's time from the start signal until it had all its answers (checked).
 * <p>
 * Runs once on one instance (cache local) and, with a {@code redis-server} (on the
 * {@code PATH} or {@code -Dbench.redis-server}), once across {@value #INSTANCES} instances
 * of one JVM on one Redis that it starts on a free port (cache remote; caller {@code i}
 * uses instance {@code i % 3}). Run it with
 * {@code java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmark.classpath)" dev.cached.benchmarks.BulkStampede}
 * after {@code mvn -o -B -q -pl benchmarks -am package -DskipTests}; exits non-zero if a
 * round fails.
 */
public final class BulkStampede {

	static final int CALLERS = 64;

	static final int POOL = 1_000;

	static final int REQUEST = 100;

	static final int SINGLES = 10;

	static final long BODY_MILLIS = 5;

	static final int INSTANCES = 3;

	static final int WARMUP_ROUNDS = Integer.getInteger("bench.bulk.warmup", 5);

	static final int ROUNDS = Integer.getInteger("bench.bulk.rounds", 20);

	private static long nextBase = 1L << 40;

	private BulkStampede() {
	}

	public static void main(String[] args) throws Exception {
		try {
			BulkApplication.Users.roundTripNanos = TimeUnit.MILLISECONDS.toNanos(BODY_MILLIS);
			List<String> report = new ArrayList<>();
			try (ConfigurableApplicationContext context = BulkApplication.start(0)) {
				report.add(run("local, 1 instance", List.of(context.getBean(BulkApplication.Users.class))));
			}
			if (RedisBenchmarkApplication.redisServerBinary() == null) {
				report.add("# " + RedisBenchmarkApplication.REDIS_MISSING);
			}
			else {
				try (RedisServer redis = RedisBenchmarkApplication.startRedis()) {
					report.add(remote(redis, 1));
					report.add(remote(redis, INSTANCES));
				}
			}
			System.out.println();
			System.out.println(String.format(Locale.ROOT,
					"Bulk stampede: %d callers (%d x @CachedAll of %d ids, %d x %d @Cached calls) on %,d cold ids, "
							+ "body %d ms, %d rounds after %d warm-up rounds; redis-server %s",
					CALLERS, CALLERS - CALLERS / 4, REQUEST, CALLERS / 4, SINGLES, POOL, BODY_MILLIS, ROUNDS,
					WARMUP_ROUNDS, RedisBenchmarkApplication.redisServerVersion()));
			System.out.println();
			System.out.println("| setup | executions per element (min..max) | elements asked per round | "
					+ "method executions per round (min..max) | @CachedAll caller served, ms p50 / p99 / max | "
					+ "10 x @Cached caller served, ms p50 / p99 / max | load average before; after |");
			System.out.println("|---|---|---|---|---|---|---|");
			report.forEach(System.out::println);
			System.exit(0);
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			System.err.println("BENCHMARK FAILED: " + ex);
			System.exit(1);
		}
	}

	private static String remote(RedisServer redis, int instances) throws Exception {
		List<ConfigurableApplicationContext> contexts = new ArrayList<>();
		try {
			List<BulkApplication.Users> users = new ArrayList<>();
			for (int i = 0; i < instances; i++) {
				contexts.add(BulkApplication.start(redis.port()));
				RedisBenchmarkApplication.cache(contexts.get(i), BulkApplication.CACHE, true);
				users.add(contexts.get(i).getBean(BulkApplication.Users.class));
			}
			return run("remote, " + instances + " instance" + ((instances > 1) ? "s" : "") + " on one Redis", users);
		}
		finally {
			contexts.forEach(ConfigurableApplicationContext::close);
		}
	}

	private static String run(String setup, List<BulkApplication.Users> users) throws Exception {
		String loadBefore = BenchmarkMain.loadAverage();
		System.out.println("# Bulk stampede, " + setup + ", load average " + loadBefore);
		ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
		try {
			for (int i = 0; i < WARMUP_ROUNDS; i++) {
				round(callers, users, i);
			}
			int minElement = Integer.MAX_VALUE;
			int maxElement = 0;
			long minExecutions = Long.MAX_VALUE;
			long maxExecutions = 0;
			long minAsked = Long.MAX_VALUE;
			long maxAsked = 0;
			List<Double> bulk = new ArrayList<>();
			List<Double> singles = new ArrayList<>();
			for (int i = 0; i < ROUNDS; i++) {
				Round round = round(callers, users, 1_000 + i);
				minElement = Math.min(minElement, round.minPerElement);
				maxElement = Math.max(maxElement, round.maxPerElement);
				minExecutions = Math.min(minExecutions, round.executions);
				maxExecutions = Math.max(maxExecutions, round.executions);
				minAsked = Math.min(minAsked, round.asked);
				maxAsked = Math.max(maxAsked, round.asked);
				for (int caller = 0; caller < CALLERS; caller++) {
					(single(caller) ? singles : bulk).add(round.millis[caller]);
				}
			}
			return String.format(Locale.ROOT, "| %s | %d..%d | %d..%d | %d..%d | %s | %s | %s; %s |", setup, minElement,
					maxElement, minAsked, maxAsked, minExecutions, maxExecutions, percentiles(bulk),
					percentiles(singles), loadBefore, BenchmarkMain.loadAverage());
		}
		finally {
			callers.shutdownNow();
		}
	}

	/** One round on {@value #POOL} new ids; fails unless every id asked ran exactly once. */
	private static Round round(ExecutorService callers, List<BulkApplication.Users> users, long seed)
			throws Exception {
		long base = nextBase;
		nextBase += POOL;
		AtomicIntegerArray perElement = BulkApplication.Users.track(base, POOL);
		boolean[] asked = new boolean[POOL];
		List<List<Long>> requests = new ArrayList<>();
		Random random = new Random(seed);
		List<Long> pool = new ArrayList<>();
		for (long id = base; id < base + POOL; id++) {
			pool.add(id);
		}
		for (int i = 0; i < CALLERS; i++) {
			Collections.shuffle(pool, random);
			List<Long> ids = new ArrayList<>(pool.subList(0, single(i) ? SINGLES : REQUEST));
			ids.forEach((id) -> asked[(int) (id - base)] = true);
			requests.add(ids);
		}
		CountDownLatch ready = new CountDownLatch(CALLERS);
		CountDownLatch start = new CountDownLatch(1);
		long[] served = new long[CALLERS];
		List<Future<?>> futures = new ArrayList<>();
		for (int i = 0; i < CALLERS; i++) {
			int caller = i;
			BulkApplication.Users service = users.get(i % users.size());
			futures.add(callers.submit(() -> {
				ready.countDown();
				start.await();
				List<Long> ids = requests.get(caller);
				if (single(caller)) {
					for (Long id : ids) {
						check(BulkApplication.Users.value(id).equals(service.find(id)), "find(" + id + ") was wrong");
					}
				}
				else {
					Map<Long, String> found = service.findAll(ids);
					check(new ArrayList<>(found.keySet()).equals(ids), "findAll did not answer every id in order");
					for (Long id : ids) {
						check(BulkApplication.Users.value(id).equals(found.get(id)), "findAll: a wrong value");
					}
				}
				served[caller] = System.nanoTime();
				return null;
			}));
		}
		check(ready.await(30, TimeUnit.SECONDS), "the callers did not start");
		long executions = BulkApplication.Users.EXECUTIONS.sum();
		long started = System.nanoTime();
		start.countDown();
		for (Future<?> future : futures) {
			future.get(60, TimeUnit.SECONDS);
		}
		Round round = new Round();
		round.executions = BulkApplication.Users.EXECUTIONS.sum() - executions;
		round.minPerElement = Integer.MAX_VALUE;
		for (int i = 0; i < POOL; i++) {
			int count = perElement.get(i);
			if (asked[i]) {
				round.asked++;
				round.minPerElement = Math.min(round.minPerElement, count);
				round.maxPerElement = Math.max(round.maxPerElement, count);
			}
			check(count == (asked[i] ? 1 : 0),
					"id " + (base + i) + " ran " + count + " times (asked: " + asked[i] + "), not " + (asked[i] ? 1 : 0));
		}
		round.millis = new double[CALLERS];
		for (int i = 0; i < CALLERS; i++) {
			round.millis[i] = (served[i] - started) / 1e6;
		}
		return round;
	}

	/** p50 / p99 / max in ms. */
	private static String percentiles(List<Double> millis) {
		double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
		return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", ManyInstances.percentile(sorted, 50),
				ManyInstances.percentile(sorted, 99), sorted[sorted.length - 1]);
	}

	/** Every fourth caller makes single {@code @Cached} calls. */
	private static boolean single(int caller) {
		return caller % 4 == 3;
	}

	private static void check(boolean condition, String message) {
		if (!condition) {
			throw new IllegalStateException("Bulk stampede: " + message);
		}
	}

	private static final class Round {

		long executions;

		long asked;

		int minPerElement;

		int maxPerElement;

		double[] millis;

	}

}
