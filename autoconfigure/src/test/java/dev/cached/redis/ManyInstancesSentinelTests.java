package dev.cached.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.engine.CachedCache;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The many-instances promises on Sentinel (a primary, a replica, three sentinels), the
 * instances configured with {@code spring.data.redis.sentinel.master} and {@code .nodes}
 * only: a cold key is loaded once across three instances, an invalidation on one reaches
 * the others (a remote cache and a local one), and an instance reads what another loaded
 * from Redis, through the primary the sentinels name (the replica holds it too). Failovers
 * are in {@link FailoverSentinelTests} and {@link BackInTimeSentinelTests}.
 */
class ManyInstancesSentinelTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int C = 2;

	private static final int CALLERS = 8;

	private static RedisSentinelSetup sentinel;

	private static Instances instances;

	private ExecutorService executor;

	@BeforeAll
	static void start() {
		sentinel = RedisSentinelSetup.start();
		instances = Instances.start(sentinel, Application.class, 3, "--cached.caches.quotes.remote=true",
				"--cached.caches.quotes.ttl=10m");
	}

	@AfterAll
	static void stop() {
		try {
			if (instances != null) {
				instances.close();
			}
		}
		finally {
			if (sentinel != null) {
				sentinel.close();
			}
		}
	}

	@AfterEach
	void openGates() {
		Quotes.gates.values().forEach(CountDownLatch::countDown);
		Quotes.gates.clear();
		if (this.executor != null) {
			this.executor.shutdownNow();
		}
	}

	/**
	 * 3 instances x 8 callers released together on one cold key: one execution in all. The
	 * load waits on a gate until every instance has its callers in flight.
	 */
	@Test
	void aColdKeyIsLoadedOnceAcrossThreeInstances() throws Exception {
		String key = "cold";
		CountDownLatch gate = Quotes.close(key);
		long[] coalescedBefore = new long[instances.size()];
		for (int i = 0; i < instances.size(); i++) {
			coalescedBefore[i] = instances.cache(i, "quotes").getStatistics().coalesced();
		}
		this.executor = Executors.newFixedThreadPool(instances.size() * CALLERS);
		CyclicBarrier start = new CyclicBarrier(instances.size() * CALLERS);
		List<Future<String>> results = new ArrayList<>();
		for (int i = 0; i < instances.size(); i++) {
			Quotes quotes = quotes(i);
			for (int t = 0; t < CALLERS; t++) {
				results.add(this.executor.submit(() -> {
					start.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
					return quotes.quote(key);
				}));
			}
		}
		for (int i = 0; i < instances.size(); i++) {
			int instance = i;
			CachedCache cache = instances.engine(i, "quotes");
			await().untilAsserted(() -> {
				assertThat(cache.inFlightKeys()).isEqualTo(1);
				assertThat(instances.cache(instance, "quotes").getStatistics().coalesced() - coalescedBefore[instance])
					.isEqualTo(CALLERS - 1);
			});
		}
		gate.countDown();
		List<String> values = new ArrayList<>();
		for (Future<String> result : results) {
			values.add(result.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
		}
		assertThat(executions(key)).as("executions on all instances").containsExactly(1);
		assertThat(values).hasSize(instances.size() * CALLERS).containsOnly(values.get(0));
		RedisServer primary = sentinel.primary();
		assertThat(primary.get(Instances.entry("quotes", key))).asString().isEqualTo("\"" + values.get(0) + "\"");
		assertThat(primary.keys(Instances.lease("quotes", key))).isEmpty();
	}

	/**
	 * A remote cache: B and C read A's value from Redis without running the method (the
	 * entry is on the primary and on its replica); an invalidation on A reaches B and C,
	 * and the next value one of them loads is the one the other reads.
	 */
	@Test
	void anInstanceReadsWhatAnotherLoadedAndAnInvalidationReachesEveryInstance() {
		String key = "shared";
		String first = quotes(A).quote(key);
		assertThat(quotes(B).quote(key)).isEqualTo(first);
		assertThat(quotes(C).quote(key)).isEqualTo(first);
		assertThat(executions(key)).containsExactly(1);
		assertThat(instances.engine(B, "quotes").getRemoteStatistics().hits()).isPositive();
		RedisServer replica = sentinel.replicas().get(0);
		await().untilAsserted(() -> assertThat(replica.get(Instances.entry("quotes", key))).asString()
			.isEqualTo("\"" + first + "\""));

		quotes(A).invalidate(key);
		for (int i : new int[] { B, C }) {
			await().until(() -> !instances.cache(i, "quotes").contains(key));
		}
		String second = quotes(B).quote(key);
		assertThat(second).isNotEqualTo(first);
		assertThat(quotes(C).quote(key)).isEqualTo(second);
		assertThat(quotes(A).quote(key)).isEqualTo(second);
		assertThat(executions(key)).containsExactly(2);
	}

	/** A local cache: an invalidation on A reaches B and C, each loads again. */
	@Test
	void anInvalidationOfALocalCacheReachesEveryInstance() {
		String key = "local";
		List<String> before = new ArrayList<>();
		for (int i = 0; i < instances.size(); i++) {
			before.add(quotes(i).local(key));
		}
		instances.cache(A, "local").invalidate(key);
		for (int i : new int[] { B, C }) {
			await().until(() -> !instances.cache(i, "local").contains(key));
			assertThat(quotes(i).local(key)).isNotIn(before);
		}
	}

	private static List<Integer> executions(String key) {
		return List.of(Quotes.loads.getOrDefault("quotes:" + key, new AtomicInteger()).get());
	}

	private static Quotes quotes(int instance) {
		return instances.bean(instance, Quotes.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Quotes quotes() {
			return new Quotes();
		}

	}

	/**
	 * A remote cache ({@code quotes}) and a local one ({@code local}); every execution, on
	 * any instance, makes a value of its own and is counted across the instances.
	 */
	public static class Quotes {

		static final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		static CountDownLatch close(String key) {
			return gates.computeIfAbsent(key, (k) -> new CountDownLatch(1));
		}

		@Cached(name = "quotes")
		public String quote(String key) {
			CountDownLatch gate = gates.get(key);
			if (gate != null) {
				try {
					gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException(ex);
				}
			}
			return key + "#" + loads.computeIfAbsent("quotes:" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		@CacheInvalidate(name = "quotes")
		public void invalidate(String key) {
		}

		@Cached(name = "local")
		public String local(String key) {
			return key + "#" + loads.computeIfAbsent("local:" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
