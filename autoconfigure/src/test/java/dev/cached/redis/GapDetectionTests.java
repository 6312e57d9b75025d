package dev.cached.redis;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gaps are found by the receiver, and treated as an invalidation of the whole cache,
 * loads running at that moment included (G8 across instances):
 * <ul>
 * <li>a subscription lost and made again (its messages meanwhile were missed);</li>
 * <li>a message missed while the subscription held: the next one of the cache comes with a
 * version that skips one;</li>
 * <li>a message missed with no later one: the periodic check of the cache's version in
 * Redis finds it within {@code cached.redis.max-staleness}.</li>
 * </ul>
 * A missed message is made by raising the cache's version in Redis as an invalidation
 * would, without its message. The cache is a local one ({@code shelf}): only a clear of
 * the whole cache removes a key the invalidations do not name.
 */
class GapDetectionTests {

	private static final String META = Instances.meta("shelf");

	@Test
	void aLoadRunningWhenTheSubscriptionIsMadeAgainIsNotStored() throws Exception {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 1, "--cached.redis.retry-after=200ms")) {
			Shelf shelf = instances.bean(0, Shelf.class);
			CachedCaches.Cache cache = instances.cache(0, "shelf");
			assertThat(shelf.get("x")).isEqualTo("x#1");
			CountDownLatch release = shelf.block("y");
			CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> shelf.get("y"));
			await().until(() -> shelf.loads("y") == 1);

			assertThat(redis.command("CLIENT", "KILL", "TYPE", "pubsub")).isEqualTo(1L);
			// invalidations sent meanwhile were missed: the subscription made again clears the store
			// (the lost connection may also begin and end an outage, whose end clears the store
			// first: wait for the subscription itself, so that it is what the load runs through)
			await().alias("the store cleared once subscribed again")
				.until(() -> !cache.contains("x") && lastGap(instances, 0) != null);
			release.countDown();

			assertThat(load.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("y#1");
			assertThat(cache.contains("y")).as("the load that ran through the lost subscription is not stored")
				.isFalse();
			assertThat(shelf.get("y")).isEqualTo("y#2");
			assertThat(lastGap(instances, 0)).containsEntry("cache", "*");
		}
	}

	@Test
	void aVersionThatSkipsOneInvalidatesTheCacheAndTheLoadsRunningThen() throws Exception {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.redis.max-staleness=1h")) {
			Shelf onB = instances.bean(1, Shelf.class);
			CachedCaches.Cache shelfOnB = instances.cache(1, "shelf");
			instances.awaitDelivered(0, "shelf");
			assertThat(onB.get("x")).isEqualTo("x#1");
			CountDownLatch release = onB.block("y");
			CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> onB.get("y"));
			await().until(() -> onB.loads("y") == 1);

			// an invalidation whose message B never gets, then one that B gets
			redis.command("HINCRBY", META, "v", "1");
			instances.cache(0, "shelf").invalidate("z");

			// (the gap is recorded just after the store is cleared: wait for both)
			await().alias("B found the gap")
				.until(() -> !shelfOnB.contains("x") && lastGap(instances, 1) != null);
			release.countDown();
			assertThat(load.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("y#1");
			assertThat(shelfOnB.contains("y")).as("the load running at the gap is not stored").isFalse();
			assertThat(lastGap(instances, 1)).containsEntry("cache", "shelf");
			// the gap is closed: the next messages are applied one by one again
			assertThat(onB.get("x")).isEqualTo("x#2");
			instances.awaitDelivered(0, "shelf");
			assertThat(shelfOnB.contains("x")).isTrue();
		}
	}

	@Test
	void aMissedMessageWithoutALaterOneIsFoundWithinTheMaxStaleness() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.redis.max-staleness=2s")) {
			Shelf onB = instances.bean(1, Shelf.class);
			CachedCaches.Cache shelfOnB = instances.cache(1, "shelf");
			instances.awaitDelivered(0, "shelf");
			assertThat(onB.get("x")).isEqualTo("x#1");

			redis.command("HINCRBY", META, "v", "1");

			await().alias("B's periodic check found the version it missed")
				.until(() -> !shelfOnB.contains("x") && lastGap(instances, 1) != null);
			assertThat(lastGap(instances, 1)).containsEntry("cache", "shelf");
			assertThat(onB.get("x")).isEqualTo("x#2");
		}
	}

	@Test
	void aCacheThatMissedNothingIsLeftAlone() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.redis.max-staleness=1s")) {
			Shelf onB = instances.bean(1, Shelf.class);
			CachedCaches.Cache shelfOnB = instances.cache(1, "shelf");
			assertThat(onB.get("x")).isEqualTo("x#1");
			// many checks and messages, every message received
			for (int i = 0; i < 20; i++) {
				instances.awaitDelivered(0, "shelf");
				instances.awaitDelivered(1, "shelf");
			}
			assertThat(shelfOnB.contains("x")).isTrue();
			assertThat(onB.loads("x")).isOne();
			assertThat(lastGap(instances, 1)).isNull();
		}
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> lastGap(Instances instances, int instance) {
		return (Map<String, Object>) instances.bean(instance, RedisTier.class).status().get("last-gap-repaired");
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Shelf shelf() {
			return new Shelf();
		}

	}

	/** A local cache ({@code shelf}); loads counted per key, and held back on request. */
	public static class Shelf {

		private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		@Cached(name = "shelf")
		public String get(String id) {
			int n = this.loads.computeIfAbsent(id, (k) -> new AtomicInteger()).incrementAndGet();
			CountDownLatch gate = this.gates.remove(id);
			if (gate != null) {
				try {
					gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			return id + "#" + n;
		}

		/** Hold the next load of {@code id} until the returned latch is counted down. */
		CountDownLatch block(String id) {
			CountDownLatch gate = new CountDownLatch(1);
			this.gates.put(id, gate);
			return gate;
		}

		int loads(String id) {
			AtomicInteger n = this.loads.get(id);
			return (n != null) ? n.get() : 0;
		}

	}

}
