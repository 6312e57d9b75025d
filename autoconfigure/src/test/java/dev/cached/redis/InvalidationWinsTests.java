package dev.cached.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invalidation wins cluster-wide, deterministically: A's load of a key of a remote cache
 * holds the key's lease and waits on a gate; the key is invalidated elsewhere; then the
 * load ends. A's caller gets the load's value, but Redis never holds it, so the next call
 * on B runs the method again.
 */
class InvalidationWinsTests {

	private static final int A = 0;

	private static final int B = 1;

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, "--cached.caches.stock.remote=true",
			"--cached.caches.stock.ttl=10m");

	private static final RedisServer redis = instances.redis();

	private ExecutorService executor;

	@BeforeEach
	void startExecutor() {
		this.executor = Executors.newSingleThreadExecutor();
	}

	@AfterEach
	void openGates() {
		Stock.gates.values().forEach(CountDownLatch::countDown);
		Stock.gates.clear();
		this.executor.shutdownNow();
	}

	/**
	 * B invalidates while A loads, and A's load ends at once, whether or not the news has
	 * reached A yet.
	 */
	@Test
	void aLoadWhoseKeyIsInvalidatedOnAnotherInstanceIsNotWrittenToRedis() throws Exception {
		String key = "race";
		Future<String> onA = startBlockedLoadOnA(key);
		stock(B).invalidate(key);
		assertThat(redis.keys(Instances.lease("stock", key))).as("the invalidation deleted A's lease").isEmpty();
		Stock.gates.get(key).countDown();
		String value = onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertNothingInRedis(key);
		assertLoadsAgainOnB(key, value);
	}

	/**
	 * The same, once A has received the invalidation (its own G8 keeps the value out of
	 * its store too).
	 */
	@Test
	void aLoadWhoseKeyIsInvalidatedOnAnotherInstanceIsStoredNowhere() throws Exception {
		String key = "delivered";
		Future<String> onA = startBlockedLoadOnA(key);
		stock(B).invalidate(key);
		instances.awaitDelivered(B, "stock");
		Stock.gates.get(key).countDown();
		String value = onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertNothingInRedis(key);
		assertThat(instances.cache(A, "stock").contains(key)).isFalse();
		assertLoadsAgainOnB(key, value);
		assertThat(stock(A).stock(key)).isNotEqualTo(value);
		assertThat(stock(A).executions(key)).isEqualTo(1);
	}

	/**
	 * The lease alone decides, whatever A has heard: the invalidation is made in Redis
	 * only (its entry and lease deleted, no message), as if its news never reached A. A
	 * keeps its value locally, but its write to Redis is refused.
	 */
	@Test
	void aLoadThatLostItsLeaseIsNotWrittenToRedisEvenIfNoMessageCame() throws Exception {
		String key = "silent";
		Future<String> onA = startBlockedLoadOnA(key);
		assertThat(redis.command("DEL", Instances.entry("stock", key), Instances.lease("stock", key))).isEqualTo(1L);
		Stock.gates.get(key).countDown();
		String value = onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertNothingInRedis(key);
		assertLoadsAgainOnB(key, value);
	}

	/**
	 * A put on B while A loads the key wins too: Redis holds the put value, not the load's,
	 * and both instances answer the put value from then on.
	 */
	@Test
	void aPutOnAnotherInstanceWinsOverALoadRunningOnA() throws Exception {
		String key = "put";
		Future<String> onA = startBlockedLoadOnA(key);
		assertThat(stock(B).put(key, "put on B")).isEqualTo("put on B");
		assertThat(redis.keys(Instances.lease("stock", key))).as("the put deleted A's lease").isEmpty();
		Stock.gates.get(key).countDown();
		String value = onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertThat(redis.get(Instances.entry("stock", key))).asString().isEqualTo("\"put on B\"");
		assertThat(stock(B).stock(key)).isEqualTo("put on B");
		instances.awaitDelivered(B, "stock");
		assertThat(stock(A).stock(key)).isEqualTo("put on B");
		assertThat(stock(A).executions(key)).isEqualTo(1);
		assertThat(stock(B).executions(key)).isZero();
	}

	private Future<String> startBlockedLoadOnA(String key) {
		Stock.close(key);
		Future<String> onA = this.executor.submit(() -> stock(A).stock(key));
		await().until(() -> stock(A).executions(key) == 1);
		assertThat(redis.keys(Instances.lease("stock", key))).as("A holds the lease while it loads").hasSize(1);
		assertThat(onA).isNotDone();
		return onA;
	}

	private static void assertNothingInRedis(String key) {
		assertThat(redis.get(Instances.entry("stock", key))).as("Redis entry of %s", key).isNull();
		assertThat(redis.keys(Instances.lease("stock", key))).isEmpty();
	}

	private static void assertLoadsAgainOnB(String key, String firstValue) throws Exception {
		String next = stock(B).stock(key);
		assertThat(next).startsWith(key + "#").isNotEqualTo(firstValue);
		assertThat(stock(B).executions(key)).isEqualTo(1);
		assertThat(redis.get(Instances.entry("stock", key))).asString().isEqualTo("\"" + next + "\"");
	}

	private static Stock stock(int instance) {
		return instances.bean(instance, Stock.class);
	}



	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Stock stock() {
			return new Stock();
		}

	}

	/** The cached method; a load of a key whose gate is closed waits for it. */
	public static class Stock {

		static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		private static final AtomicInteger versions = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		static CountDownLatch close(String key) {
			CountDownLatch gate = new CountDownLatch(1);
			gates.put(key, gate);
			return gate;
		}

		@Cached(name = "stock")
		public String stock(String key) throws InterruptedException {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
			CountDownLatch gate = gates.get(key);
			if (gate != null && !gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("gate of " + key + " not opened");
			}
			return key + "#" + versions.incrementAndGet();
		}

		@CacheInvalidate(name = "stock")
		public void invalidate(String key) {
		}

		@CachePut(name = "stock", key = "#key")
		public String put(String key, String value) {
			return value;
		}

		public int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

	}

}
