package dev.cached.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invalidation wins cluster-wide, decided in Redis: A's load of a key of a remote cache
 * holds the key's lease and waits on a gate; B invalidates the key through its API while
 * A hears nothing from the channel (A reaches Redis through a proxy that holds what is
 * published to it). A's load then ends as if nothing had happened there, and writes its
 * value with its lease: Redis must refuse it, so that the invalidated value is neither in
 * Redis nor served by B, and a later load on B is not overwritten by A's.
 */
class InvalidationWinsInRedisTests {

	private static RedisServer redis;

	private static SubscriberHoldingProxy proxy;

	private static ConfigurableApplicationContext a;

	private static ConfigurableApplicationContext b;

	private ExecutorService executor;

	@BeforeAll
	static void start() throws Exception {
		redis = RedisServer.start();
		proxy = new SubscriberHoldingProxy(redis);
		a = run(proxy.port());
		b = run(redis.port());
		await().until(() -> a.getBean(RedisTier.class).isSubscribed() && b.getBean(RedisTier.class).isSubscribed());
		warmUp(a, "warm-a-");
		warmUp(b, "warm-b-");
	}

	@AfterAll
	static void stop() throws Exception {
		for (ConfigurableApplicationContext context : new ConfigurableApplicationContext[] { a, b }) {
			if (context != null) {
				context.close();
			}
		}
		if (proxy != null) {
			proxy.close();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@BeforeEach
	void startExecutor() {
		this.executor = Executors.newSingleThreadExecutor();
	}

	@AfterEach
	void openGates() {
		proxy.release();
		stock(a).openGates();
		stock(b).openGates();
		this.executor.shutdownNow();
	}

	@Test
	void aLoadWhoseKeyIsInvalidatedElsewhereBeforeItsInstanceHearsOfItIsNotWrittenToRedis() throws Exception {
		String key = "unheard";
		String entry = Instances.entry("stock", key);
		String lease = Instances.lease("stock", key);
		CountDownLatch gate = stock(a).close(key);
		Future<String> onA = this.executor.submit(() -> stock(a).stock(key));
		await().until(() -> stock(a).executions(key) == 1);
		assertThat(redis.keys(lease)).as("A holds the lease while it loads").hasSize(1);
		CachedCaches.Cache cacheOnA = a.getBean(CachedCaches.class).getCache("stock");

		proxy.hold();
		stock(b).invalidate(key);
		assertThat(redis.keys(lease)).as("the invalidation deleted A's lease").isEmpty();
		gate.countDown();
		String value = onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#");
		assertThat(cacheOnA.contains(key)).as("A has not heard of the invalidation yet").isTrue();
		assertThat(redis.command("GET", entry)).as("A's write after the invalidation").isNull();
		assertThat(redis.keys(lease)).isEmpty();

		String next = stock(b).stock(key);
		assertThat(next).startsWith(key + "#").isNotEqualTo(value);
		assertThat(stock(b).executions(key)).as("B loads the invalidated key again").isEqualTo(1);
		assertThat(redis.command("GET", entry)).isEqualTo("\"" + next + "\"");

		proxy.release();
		await().until(() -> !cacheOnA.contains(key));
		assertThat(stock(a).stock(key)).isEqualTo(next);
		assertThat(stock(a).executions(key)).isEqualTo(1);
		assertThat(redis.command("GET", entry)).isEqualTo("\"" + next + "\"");
	}

	/**
	 * The same, with B loading the key again before A's load ends: A's late write must not
	 * replace the value loaded since the invalidation.
	 */
	@Test
	void aLoadWhoseKeyIsInvalidatedElsewhereDoesNotOverwriteTheValueLoadedThereSince() throws Exception {
		String key = "overtaken";
		String entry = Instances.entry("stock", key);
		CountDownLatch gate = stock(a).close(key);
		Future<String> onA = this.executor.submit(() -> stock(a).stock(key));
		await().until(() -> stock(a).executions(key) == 1);
		assertThat(redis.keys(Instances.lease("stock", key))).as("A holds the lease while it loads").hasSize(1);

		proxy.hold();
		stock(b).invalidate(key);
		String next = stock(b).stock(key);
		assertThat(stock(b).executions(key)).as("B loads the invalidated key again").isEqualTo(1);
		assertThat(redis.command("GET", entry)).isEqualTo("\"" + next + "\"");
		gate.countDown();
		String value = onA.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(value).startsWith(key + "#").isNotEqualTo(next);
		assertThat(redis.command("GET", entry)).as("Redis after A's late write").isEqualTo("\"" + next + "\"");
		assertThat(redis.pttl(entry)).as("B's write, with its ttl").isPositive();
		proxy.release();
		CachedCaches.Cache cacheOnA = a.getBean(CachedCaches.class).getCache("stock");
		await().until(() -> !cacheOnA.contains(key));
		assertThat(stock(a).stock(key)).isEqualTo(next);
		assertThat(stock(a).executions(key)).isEqualTo(1);
	}

	private static void warmUp(ConfigurableApplicationContext context, String prefix) {
		AtomicInteger calls = new AtomicInteger();
		await().until(() -> {
			String id = prefix + calls.incrementAndGet();
			stock(context).stock(id);
			return redis.get(Instances.entry("stock", id)) != null;
		});
	}

	private static Stock stock(ConfigurableApplicationContext context) {
		return context.getBean(Stock.class);
	}

	private static ConfigurableApplicationContext run(int port) {
		List<String> args = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--spring.jmx.enabled=false",
				"--cached.redis.enabled=true", "--spring.data.redis.host=" + redis.host(),
				"--spring.data.redis.port=" + port, "--cached.redis.timeout=5s", "--cached.caches.stock.remote=true",
				"--cached.caches.stock.ttl=10m"));
		return new SpringApplicationBuilder(Application.class).web(WebApplicationType.NONE)
			.run(args.toArray(new String[0]));
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Stock stock() {
			return new Stock();
		}

	}

	/** The cached method; a load of a key whose gate is closed on this instance waits for it. */
	public static class Stock {

		private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		private static final AtomicInteger versions = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		public CountDownLatch close(String key) {
			CountDownLatch gate = new CountDownLatch(1);
			this.gates.put(key, gate);
			return gate;
		}

		public void openGates() {
			this.gates.values().forEach(CountDownLatch::countDown);
			this.gates.clear();
		}

		@Cached(name = "stock")
		public String stock(String key) throws InterruptedException {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
			CountDownLatch gate = this.gates.get(key);
			if (gate != null && !gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("gate of " + key + " not opened");
			}
			return key + "#" + versions.incrementAndGet();
		}

		@CacheInvalidate(name = "stock")
		public void invalidate(String key) {
		}

		public int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

	}

}
