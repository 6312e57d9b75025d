package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.CachedCaches;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;

/**
 * The Redis tier across instances: {@value #INSTANCES} application contexts in one JVM on
 * one {@code redis-server} of its own (loopback), each its own instance of the tier.
 * <ol>
 * <li><b>Cold key:</b> {@value #CALLERS} callers per instance, released together on one
 * cold key of a remote cache whose body takes 5 ms. Per round: the executions in all
 * instances (the harness fails unless it is 1), and the time from the end of the body
 * (on whichever instance ran it) until the last caller of any instance had its value.</li>
 * <li><b>Invalidation propagation:</b> the key is held locally by every instance;
 * instance 0 invalidates it; the time from that call until the other instances' local
 * stores no longer hold it (each watched by a spinning thread).</li>
 * </ol>
 * Run: {@code java -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmark.classpath)"
 * dev.cached.benchmarks.ManyInstances [rounds] [invalidations]}.
 */
public final class ManyInstances {

	static final int INSTANCES = 3;

	static final int CALLERS = 32;

	private ManyInstances() {
	}

	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 200;
		int invalidations = (args.length > 1) ? Integer.parseInt(args[1]) : 1000;
		if (RedisProcess.executable() == null) {
			System.out.println("# Many instances: SKIPPED: redis-server is not on the PATH (e.g. apt-get install "
					+ "redis-server)");
			return;
		}
		int status;
		try (RedisProcess redis = RedisProcess.start()) {
			List<ConfigurableApplicationContext> instances = new ArrayList<>();
			try {
				for (int i = 0; i < INSTANCES; i++) {
					instances.add(RedisBenchmarkApplication.start(redis.port(), true));
				}
				status = run(instances, rounds, invalidations);
			}
			finally {
				instances.forEach(ConfigurableApplicationContext::close);
			}
		}
		System.exit(status);
	}

	private static int run(List<ConfigurableApplicationContext> instances, int rounds, int invalidations)
			throws Exception {
		List<RedisBenchmarkApplication.Service> services = instances.stream()
			.map((context) -> context.getBean(RedisBenchmarkApplication.Service.class))
			.toList();
		System.out.printf(Locale.ROOT, "# Many instances: %d instances on one redis-server (loopback), load average %s%n",
				INSTANCES, BenchmarkMain.loadAverage());
		// until every instance reaches Redis and hears the others
		for (int i = 0; i < 200; i++) {
			services.get(i % INSTANCES).remote(-1 - i);
		}
		int warmup = Math.max(10, rounds / 10);
		long[] lastServed = coldKey(services, warmup, rounds);
		if (lastServed == null) {
			return 1;
		}
		System.out.printf(Locale.ROOT,
				"Cold key, %d instances x %d callers, body %d ms, %d rounds (after %d warm-up rounds): executions 1 in "
						+ "every round; last caller served after the body ended: p50 %s, p99 %s, max %s%n",
				INSTANCES, CALLERS, RedisBenchmarkApplication.BODY_MILLIS, rounds, warmup, millis(lastServed, 50),
				millis(lastServed, 99), millis(lastServed, 100));
		// the floor on this machine: the same callers, all on one instance without Redis
		ConfigurableApplicationContext alone = RedisBenchmarkApplication.start(0, false);
		try {
			RedisBenchmarkApplication.Service local = alone.getBean(RedisBenchmarkApplication.Service.class);
			long[] floor = coldKey(List.of(local, local, local), warmup, rounds);
			if (floor == null) {
				return 1;
			}
			System.out.printf(Locale.ROOT,
					"Baseline, the same %d callers on one instance without Redis: last caller served after the body "
							+ "ended: p50 %s, p99 %s, max %s%n",
					INSTANCES * CALLERS, millis(floor, 50), millis(floor, 99), millis(floor, 100));
		}
		finally {
			alone.close();
		}
		long[] propagation = propagation(instances, services, invalidations);
		System.out.printf(Locale.ROOT,
				"Invalidation propagation, %d invalidations on instance 0 until both other instances dropped the key: "
						+ "p50 %s, p99 %s, max %s%n",
				invalidations, millis(propagation, 50), millis(propagation, 99), millis(propagation, 100));
		System.out.printf(Locale.ROOT, "# load average at end %s%n", BenchmarkMain.loadAverage());
		return 0;
	}

	/** The cold-key rounds; the last-served delays of the measured rounds, or null if a round ran twice. */
	private static long[] coldKey(List<RedisBenchmarkApplication.Service> services, int warmup, int rounds)
			throws Exception {
		ExecutorService callers = Executors.newFixedThreadPool(INSTANCES * CALLERS);
		try {
			long[] lastServed = new long[rounds];
			for (int round = -warmup; round < rounds; round++) {
				long key = (1L << 40) + round + warmup;
				int before = RedisBenchmarkApplication.SLOW_EXECUTIONS.get();
				CountDownLatch ready = new CountDownLatch(INSTANCES * CALLERS);
				CountDownLatch go = new CountDownLatch(1);
				List<Future<Long>> served = new ArrayList<>();
				for (int i = 0; i < INSTANCES * CALLERS; i++) {
					RedisBenchmarkApplication.Service service = services.get(i % INSTANCES);
					served.add(callers.submit(() -> {
						ready.countDown();
						go.await();
						String value = service.slow(key);
						long at = System.nanoTime();
						if (!value.equals("value " + key)) {
							throw new IllegalStateException("wrong value " + value);
						}
						return at;
					}));
				}
				ready.await();
				go.countDown();
				long last = Long.MIN_VALUE;
				for (Future<Long> future : served) {
					last = Math.max(last, future.get());
				}
				int executions = RedisBenchmarkApplication.SLOW_EXECUTIONS.get() - before;
				if (executions != 1) {
					System.out.println("FAILED: round " + round + " ran the body " + executions
							+ " times across the instances (expected 1)");
					return null;
				}
				if (round >= 0) {
					lastServed[round] = last - RedisBenchmarkApplication.SLOW_ENDED.get();
				}
			}
			return lastServed;
		}
		finally {
			callers.shutdownNow();
		}
	}

	private static long[] propagation(List<ConfigurableApplicationContext> instances,
			List<RedisBenchmarkApplication.Service> services, int invalidations) throws Exception {
		CachedCaches origin = instances.get(0).getBean(CachedCaches.class);
		List<CachedCache> others = new ArrayList<>();
		for (int i = 1; i < INSTANCES; i++) {
			others.add(instances.get(i).getBean(CacheRegistry.class).getCache("remote"));
		}
		long[] result = new long[invalidations];
		for (int n = 0; n < invalidations; n++) {
			long key = (1L << 41) + n;
			for (RedisBenchmarkApplication.Service service : services) {
				service.remote(key);
			}
			for (CachedCache other : others) {
				if (other.peek(key) == null) {
					throw new IllegalStateException("instance does not hold key " + key);
				}
			}
			long start = System.nanoTime();
			origin.getCache("remote").invalidate(key);
			for (CachedCache other : others) {
				while (other.peek(key) != null) {
					Thread.onSpinWait();
					if (System.nanoTime() - start > 10_000_000_000L) {
						throw new IllegalStateException("invalidation of key " + key + " did not arrive in 10 s");
					}
				}
			}
			result[n] = System.nanoTime() - start;
		}
		return result;
	}

	private static String millis(long[] nanos, int percentile) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		int index = (percentile >= 100) ? sorted.length - 1
				: Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1);
		return String.format(Locale.ROOT, "%.2f ms", sorted[Math.max(0, index)] / 1_000_000.0);
	}

}
