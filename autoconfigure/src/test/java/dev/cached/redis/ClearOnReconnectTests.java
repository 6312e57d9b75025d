package dev.cached.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cached.redis.clear-on-reconnect}: an instance that may have missed invalidations
 * clears its local stores, on each of the two ways it can miss them, each here alone:
 * <ul>
 * <li>the subscription is lost and made again while every command keeps working (no
 * outage): only the subscription's connection is killed;</li>
 * <li>the commands fail (an outage: three late in a row) while the subscription holds:
 * Redis is told to hold every write command of its clients ({@code CLIENT PAUSE WRITE}),
 * which the tier's scripts all are, its probe during an outage included, until the tier
 * gives up on them; the subscription's connection stays the same throughout.</li>
 * </ul>
 * The value cleared is one of a local cache ({@code shelf}): only the clear removes it.
 */
class ClearOnReconnectTests {

	private static final Duration RECOVERY = Duration.ofSeconds(30);

	@Test
	void aSubscriptionMadeAgainWithoutAnOutageClearsTheLocalStores() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms")) {
			Books books = warmUp(context, redis);
			CachedCaches.Cache shelf = context.getBean(CachedCaches.class).getCache("shelf");
			assertThat(books.shelf("x")).isEqualTo("x#1");
			assertThat(shelf.contains("x")).isTrue();
			String subscriber = subscriberId(redis);

			assertThat(redis.command("CLIENT", "KILL", "TYPE", "pubsub")).isEqualTo(1L);
			await().atMost(RECOVERY).until(() -> {
				String now = subscriberIdOrNull(redis);
				return now != null && !now.equals(subscriber);
			});
			await().alias("the local store cleared once subscribed again").atMost(RECOVERY)
				.until(() -> !shelf.contains("x"));

			assertThat(books.shelf("x")).isEqualTo("x#2");
			// the commands saw no outage: the other way of clearing played no part
			assertThat(context.getBean(RedisTier.class).isUp()).isTrue();
			assertThat(errors(context, "books")).isZero();
		}
	}

	@Test
	void theEndOfAnOutageClearsTheLocalStoresWhileTheSubscriptionHeld() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms",
						"--cached.redis.timeout=300ms")) {
			Books books = warmUp(context, redis);
			RedisTier tier = context.getBean(RedisTier.class);
			CachedCaches.Cache shelf = context.getBean(CachedCaches.class).getCache("shelf");
			assertThat(books.shelf("x")).isEqualTo("x#1");
			String subscriber = subscriberId(redis);

			assertThat(redis.command("CLIENT", "PAUSE", "60000", "WRITE")).isEqualTo("OK");
			try {
				for (int i = 1; i <= RedisBreaker.OUTAGE_AFTER; i++) {
					assertThat(books.book("paused-" + i)).isEqualTo("paused-" + i + "#1");
				}
				assertThat(tier.isUp()).as("an outage began").isFalse();
				assertThat(shelf.contains("x")).as("kept during the outage").isTrue();
			}
			finally {
				redis.command("CLIENT", "UNPAUSE");
			}
			AtomicInteger calls = new AtomicInteger();
			await().atMost(RECOVERY).until(() -> {
				String id = "after-" + calls.incrementAndGet();
				assertThat(books.book(id)).isEqualTo(id + "#1");
				return tier.isUp();
			});

			assertThat(shelf.contains("x")).as("cleared when the outage ended").isFalse();
			assertThat(books.shelf("x")).isEqualTo("x#2");
			// the subscription held throughout: the other way of clearing played no part
			assertThat(subscriberId(redis)).isEqualTo(subscriber);
		}
	}

	/**
	 * Wait until the instance listens to the others and a value it loaded is in Redis: its
	 * connection and subscription are made.
	 */
	private static Books warmUp(ConfigurableApplicationContext context, RedisServer redis) {
		Books books = context.getBean(Books.class);
		await().atMost(RECOVERY).until(context.getBean(RedisTier.class)::isSubscribed);
		AtomicInteger calls = new AtomicInteger();
		await().atMost(RECOVERY).until(() -> {
			String id = "warm-" + calls.incrementAndGet();
			books.book(id);
			return redis.get(Instances.entry("books", id)) != null;
		});
		return books;
	}

	/** The id of the one connection subscribed to Redis (the instance's). */
	private static String subscriberId(RedisServer redis) {
		String id = subscriberIdOrNull(redis);
		assertThat(id).as("the instance's subscription").isNotNull();
		return id;
	}

	private static String subscriberIdOrNull(RedisServer redis) {
		String clients = (String) redis.command("CLIENT", "LIST", "TYPE", "pubsub");
		List<String> ids = new ArrayList<>();
		for (String line : clients.split("\n")) {
			for (String field : line.trim().split(" ")) {
				if (field.startsWith("id=")) {
					ids.add(field.substring(3));
				}
			}
		}
		return (ids.size() == 1) ? ids.get(0) : null;
	}

	private static double errors(ConfigurableApplicationContext context, String cache) {
		return context.getBean(MeterRegistry.class)
			.get("cache.remote.errors")
			.tag("cache", cache)
			.functionCounter()
			.count();
	}

	private static ConfigurableApplicationContext run(RedisServer redis, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--spring.jmx.enabled=false",
				"--cached.redis.enabled=true", "--spring.data.redis.host=" + redis.host(),
				"--spring.data.redis.port=" + redis.port(), "--cached.caches.books.remote=true"));
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(Application.class).web(WebApplicationType.NONE)
			.run(all.toArray(new String[0]));
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Books books() {
			return new Books();
		}

	}

	/** A remote cache ({@code books}) and a local one ({@code shelf}); loads counted per key. */
	public static class Books {

		private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		@Cached(name = "books")
		public String book(String id) {
			return id + "#" + load("book:" + id);
		}

		@Cached(name = "shelf")
		public String shelf(String id) {
			return id + "#" + load("shelf:" + id);
		}

		private int load(String key) {
			return this.loads.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
