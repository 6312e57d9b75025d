package dev.cached.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.engine.CachedCache;
import dev.cached.key.StableKeys;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cluster-wide single flight on remote caches: a cold key is loaded once across three
 * instances however many callers each has; when the instance holding the lease dies
 * (its lease is planted by hand and never renewed), another takes over once the lease
 * expires; asynchronous methods never block their caller while another instance loads.
 */
class ClusterSingleFlightTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int C = 2;

	private static final int CALLERS = 32;

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 3, "--cached.defaults.remote=true",
			"--cached.defaults.ttl=10m");

	private static final RedisServer redis = instances.redis();

	private ExecutorService executor;

	@AfterEach
	void openGates() {
		Quotes.gates.values().forEach(CountDownLatch::countDown);
		Quotes.gates.clear();
		Quotes.futureGates.values().forEach((gate) -> gate.complete(null));
		Quotes.futureGates.clear();
		if (this.executor != null) {
			this.executor.shutdownNow();
		}
	}

	/**
	 * 3 instances x 32 threads released together on one cold key: one execution in total,
	 * every caller gets its value. The load waits on a gate until every instance has its
	 * callers in flight (31 joined locally, one asking Redis or loading), so the three
	 * instances are certain to overlap.
	 */
	@Test
	void aColdKeyIsLoadedOnceAcrossThreeInstancesOfThirtyTwoCallers() throws Exception {
		String key = "cold";
		CountDownLatch gate = Quotes.close(key);
		int instanceCount = instances.size();
		long[] coalescedBefore = new long[instanceCount];
		for (int i = 0; i < instanceCount; i++) {
			coalescedBefore[i] = instances.cache(i, "quotes").getStatistics().coalesced();
		}
		this.executor = Executors.newFixedThreadPool(instanceCount * CALLERS);
		CyclicBarrier start = new CyclicBarrier(instanceCount * CALLERS);
		List<Future<String>> results = new ArrayList<>();
		for (int i = 0; i < instanceCount; i++) {
			Quotes quotes = quotes(i);
			for (int t = 0; t < CALLERS; t++) {
				results.add(this.executor.submit(() -> {
					start.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
					return quotes.quote(key);
				}));
			}
		}
		for (int i = 0; i < instanceCount; i++) {
			int instance = i;
			CachedCache cache = instances.engine(i, "quotes");
			await().untilAsserted(() -> {
				assertThat(cache.inFlightKeys()).isEqualTo(1);
				assertThat(instances.cache(instance, "quotes").getStatistics().coalesced()
						- coalescedBefore[instance]).isEqualTo(CALLERS - 1);
			});
		}
		gate.countDown();
		List<String> values = new ArrayList<>();
		for (Future<String> result : results) {
			values.add(result.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
		}
		assertThat(totalExecutions("quotes", key)).as("executions on all instances").isEqualTo(1);
		assertThat(values).hasSize(instanceCount * CALLERS).containsOnly(values.get(0));
		assertThat(values.get(0)).startsWith(key + "#");
		assertThat(redis.get(Instances.entry("quotes", key))).asString().isEqualTo("\"" + values.get(0) + "\"");
		assertThat(redis.keys(Instances.lease("quotes", key))).isEmpty();
	}

	/**
	 * A lease planted by hand stands for an instance that died while loading: A and B wait
	 * while it lives (no execution), then one of them takes over and loads once, and both
	 * get that value.
	 */
	@Test
	void whenTheLeaseHolderDiesAnotherInstanceTakesOverAfterTheLeaseExpires() throws Exception {
		String key = "orphan";
		String lease = Instances.lease("quotes", key);
		assertThat(redis.command("SET", lease, "foreign", "NX", "PX", "3000")).isEqualTo("OK");
		this.executor = Executors.newFixedThreadPool(2);
		Future<String> onA = this.executor.submit(() -> quotes(A).quote(key));
		Future<String> onB = this.executor.submit(() -> quotes(B).quote(key));
		CachedCache cacheA = instances.engine(A, "quotes");
		CachedCache cacheB = instances.engine(B, "quotes");
		await().until(() -> cacheA.inFlightKeys() == 1 && cacheB.inFlightKeys() == 1);
		assertThat(redis.command("GET", lease)).as("the planted lease is alive").isEqualTo("foreign");
		assertThat(onA).isNotDone();
		assertThat(onB).isNotDone();
		// nothing runs as long as the planted lease lives; then one of them takes the key over
		await().atMost(Duration.ofSeconds(20)).until(() -> {
			int executed = totalExecutions("quotes", key);
			boolean planted = "foreign".equals(redis.command("GET", lease));
			if (planted) {
				assertThat(executed).as("executions while the planted lease lives").isZero();
			}
			return !planted;
		});
		String valueA = onA.get(20, TimeUnit.SECONDS);
		String valueB = onB.get(20, TimeUnit.SECONDS);
		assertThat(valueA).startsWith(key + "#").isEqualTo(valueB);
		assertThat(totalExecutions("quotes", key)).isEqualTo(1);
		assertThat(redis.get(Instances.entry("quotes", key))).asString().isEqualTo("\"" + valueA + "\"");
		assertThat(redis.keys(lease)).isEmpty();
	}

	/**
	 * A leader that lives keeps its lease however long its load takes (it renews it): with
	 * a lease time of 600ms, B waits through a load held for several lease times and does
	 * not take the key over.
	 */
	@Test
	void aLiveLeaderKeepsItsLeaseBeyondTheLeaseTime() throws Exception {
		String key = "slow";
		try (Instances renewing = Instances.start(redis, Application.class, 2, "--cached.defaults.remote=true",
				"--cached.redis.lease-time=600ms", "--cached.redis.key-prefix=renewing:")) {
			CountDownLatch gate = Quotes.close(key);
			this.executor = Executors.newFixedThreadPool(2);
			Quotes onA = renewing.bean(A, Quotes.class);
			Quotes onB = renewing.bean(B, Quotes.class);
			Future<String> callA = this.executor.submit(() -> onA.quote(key));
			await().until(() -> onA.executions("quotes", key) == 1);
			Future<String> callB = this.executor.submit(() -> onB.quote(key));
			CachedCache cacheB = renewing.engine(B, "quotes");
			await().until(() -> cacheB.inFlightKeys() == 1);
			String lease = RedisKeyLayout.lease("renewing:", "quotes", 0, StableKeys.encode(key));
			await().during(Duration.ofMillis(2000)).atMost(Duration.ofSeconds(10)).until(() -> {
				assertThat(onB.executions("quotes", key)).as("executions on B").isZero();
				assertThat(redis.keys(lease)).as("A's lease").hasSize(1);
				return true;
			});
			assertThat(callB).isNotDone();
			gate.countDown();
			String value = callA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(callB.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(value);
			assertThat(onA.executions("quotes", key) + onB.executions("quotes", key)).isEqualTo(1);
		}
	}

	/**
	 * B's load of a {@code CompletableFuture} method holds the lease; a call on A returns at
	 * once with a future that is not done, and it completes with B's value: one execution.
	 */
	@Test
	void completableFutureCallersOnTwoInstancesShareOneExecutionWithoutBlocking() throws Exception {
		String key = "future";
		CompletableFuture<Void> gate = Quotes.closeFuture(key);
		this.executor = Executors.newFixedThreadPool(2);
		CompletableFuture<String> onB = callWithin(() -> quotes(B).future(key));
		await().until(() -> quotes(B).executions("futures", key) == 1);
		assertThat(redis.keys(Instances.lease("futures", key))).hasSize(1);
		CompletableFuture<String> onA = callWithin(() -> quotes(A).future(key));
		CompletableFuture<String> againOnB = callWithin(() -> quotes(B).future(key));
		assertThat(onA).isNotDone();
		assertThat(onB).isNotDone();
		assertThat(againOnB).isNotDone();
		gate.complete(null);
		String value = onB.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertThat(onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(value);
		assertThat(againOnB.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(value);
		assertThat(totalExecutions("futures", key)).isEqualTo(1);
		assertThat(redis.get(Instances.entry("futures", key))).asString().isEqualTo("\"" + value + "\"");
	}

	/**
	 * The same with a {@code Mono} method: subscribing on A returns at once while B's load
	 * holds the lease.
	 */
	@Test
	void monoCallersOnTwoInstancesShareOneExecutionWithoutBlocking() throws Exception {
		String key = "mono";
		CompletableFuture<Void> gate = Quotes.closeFuture(key);
		this.executor = Executors.newFixedThreadPool(2);
		CompletableFuture<String> onB = callWithin(() -> quotes(B).mono(key).toFuture());
		await().until(() -> quotes(B).executions("monos", key) == 1);
		assertThat(redis.keys(Instances.lease("monos", key))).hasSize(1);
		CompletableFuture<String> onA = callWithin(() -> quotes(A).mono(key).toFuture());
		CompletableFuture<String> onC = callWithin(() -> quotes(C).mono(key).toFuture());
		assertThat(onA).isNotDone();
		assertThat(onB).isNotDone();
		assertThat(onC).isNotDone();
		gate.complete(null);
		String value = onB.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertThat(onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(value);
		assertThat(onC.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(value);
		assertThat(totalExecutions("monos", key)).isEqualTo(1);
	}

	/**
	 * Make a call on another thread and return its result, failing if the call itself (not
	 * the future it returns) takes more than a few seconds: a caller's thread must never
	 * wait for another instance's load.
	 */
	private <T> T callWithin(java.util.concurrent.Callable<T> call) throws Exception {
		return this.executor.submit(call).get(5, TimeUnit.SECONDS);
	}

	private static int totalExecutions(String cache, String key) {
		int total = 0;
		for (int i = 0; i < instances.size(); i++) {
			total += quotes(i).executions(cache, key);
		}
		return total;
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
	 * The cached methods, synchronous and asynchronous, counting their executions per key;
	 * a load of a key whose gate is closed waits for it (the asynchronous ones without
	 * blocking).
	 */
	public static class Quotes {

		static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		static final Map<String, CompletableFuture<Void>> futureGates = new ConcurrentHashMap<>();

		private static final AtomicInteger versions = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		static CountDownLatch close(String key) {
			CountDownLatch gate = new CountDownLatch(1);
			gates.put(key, gate);
			return gate;
		}

		static CompletableFuture<Void> closeFuture(String key) {
			CompletableFuture<Void> gate = new CompletableFuture<>();
			futureGates.put(key, gate);
			return gate;
		}

		@Cached(name = "quotes")
		public String quote(String key) throws InterruptedException {
			executed("quotes", key);
			CountDownLatch gate = gates.get(key);
			if (gate != null && !gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("gate of " + key + " not opened");
			}
			return key + "#" + versions.incrementAndGet();
		}

		@Cached(name = "futures")
		public CompletableFuture<String> future(String key) {
			executed("futures", key);
			return futureGate(key).thenApply((ignored) -> key + "#" + versions.incrementAndGet());
		}

		@Cached(name = "monos")
		public Mono<String> mono(String key) {
			executed("monos", key);
			return Mono.fromFuture(futureGate(key))
				.then(Mono.fromSupplier(() -> key + "#" + versions.incrementAndGet()));
		}

		public int executions(String cache, String key) {
			AtomicInteger count = this.executions.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		private static CompletableFuture<Void> futureGate(String key) {
			return futureGates.getOrDefault(key, CompletableFuture.completedFuture(null));
		}

		private void executed(String cache, String key) {
			this.executions.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
