package dev.cached.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.lettuce.core.resource.Delay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sender's side of "no invalidation is ever lost", on real {@code redis-server}s: a
 * write that Redis does not take (paused, late, in an outage) is kept and sent once it
 * answers, in order; past {@code cached.redis.max-pending} the kept writes of a cache
 * collapse into a clear; one late answer is no outage; an outage ends once (one clear, one
 * log line each way) after the kept writes were sent; and the first call after startup
 * reads Redis.
 * <p>
 * The values come from one source shared by every instance (as a database would be),
 * whose version the tests raise: a value with an old version is a stale one.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisOutboxTests {

	private static final Duration RECOVERY = Duration.ofSeconds(30);

	/**
	 * The issue: Redis paused 600 ms while instance A made one call, so A stopped calling
	 * Redis for {@code retry-after}; A then invalidated a key, and that invalidation was
	 * dropped: B served the old value for ever, and A itself read it back from Redis after
	 * the window.
	 */
	@Test
	void anInvalidationMadeWhileRedisIsPausedReachesTheOtherInstanceOnceItAnswers() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
						"--cached.redis.retry-after=2s", "--cached.redis.timeout=1s")) {
			Books a = instances.context(0).getBean(Books.class);
			Books b = instances.context(1).getBean(Books.class);
			assertThat(a.book("k")).isEqualTo("k@1");
			assertThat(b.book("k")).isEqualTo("k@1");

			redis.pause();
			try {
				assertThat(a.book("other")).isEqualTo("other@1");
				Books.version.set(2);
				instances.cache(0, "books").invalidate("k");
				// A itself never reads back what it invalidated
				assertThat(a.book("k")).isEqualTo("k@2");
			}
			finally {
				redis.resume();
			}
			assertThat(a.book("k")).isEqualTo("k@2");
			await().alias("B drops the value A invalidated").atMost(RECOVERY).until(() -> b.book("k").equals("k@2"));
			await().atMost(RECOVERY).until(() -> instances.context(0).getBean(RedisTier.class).pendingWrites() == 0);
			assertThat(redis.get(Instances.entry("books", "k"))).as("deleted in Redis, or written anew")
				.satisfiesAnyOf((entry) -> assertThat(entry).isNull(),
						(entry) -> assertThat(new String(entry)).contains("k@2"));
			assertThat(a.book("k")).isEqualTo("k@2");
		}
		finally {
			Books.version.set(1);
		}
	}

	/**
	 * Past {@code max-pending}, the kept writes of a cache become one clear of it: the
	 * other instance drops even the key that was not invalidated. Meanwhile the actuator
	 * shows the outage, the kept writes, and a subscription that the pause did not break.
	 */
	@Test
	void pastMaxPendingTheKeptWritesOfACacheCollapseIntoAClearOfIt() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
						"--cached.redis.retry-after=2s", "--cached.redis.timeout=1s",
						"--cached.redis.max-pending=2")) {
			Books a = instances.context(0).getBean(Books.class);
			Books b = instances.context(1).getBean(Books.class);
			for (String key : List.of("k1", "k2", "k3", "k4")) {
				assertThat(a.book(key)).isEqualTo(key + "@1");
				assertThat(b.book(key)).isEqualTo(key + "@1");
			}
			RedisTier tier = instances.context(0).getBean(RedisTier.class);

			redis.pause();
			try {
				Books.version.set(2);
				for (String key : List.of("k1", "k2", "k3")) {
					instances.cache(0, "books").invalidate(key);
				}
				await().atMost(RECOVERY).until(() -> !tier.isUp());
				Map<String, Object> status = tier.status();
				assertThat(status).containsEntry("status", "DOWN")
					.containsKey("error")
					.containsEntry("subscribed", true)
					.containsEntry("pending-writes", 2)
					.containsEntry("last-gap-repaired", null)
					.containsKey("since");
			}
			finally {
				redis.resume();
			}
			await().alias("B cleared the cache").atMost(RECOVERY).until(() -> b.book("k4").equals("k4@2"));
			assertThat(b.book("k1")).isEqualTo("k1@2");
			await().atMost(RECOVERY).until(tier::isUp);
			assertThat(tier.status()).containsEntry("status", "UP")
				.containsEntry("subscribed", true)
				.containsEntry("pending-writes", 0)
				.doesNotContainKeys("since", "error");
		}
		finally {
			Books.version.set(1);
		}
	}

	/**
	 * The issue: with Redis frozen, instance 1 reloaded a key; at its next Redis call the
	 * end of the outage cleared its fresh copy, and it read the old one back from Redis.
	 */
	@Test
	void anInstanceComingOutOfAnOutageNeverReadsBackWhatItInvalidatedDuringIt() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=1s")) {
			Books books = context.getBean(Books.class);
			RedisTier tier = context.getBean(RedisTier.class);
			assertThat(books.book("k")).isEqualTo("k@1");
			redis.pause();
			try {
				AtomicInteger calls = new AtomicInteger();
				await().atMost(RECOVERY).until(() -> {
					books.book("probe-" + calls.incrementAndGet());
					return !tier.isUp();
				});
				Books.version.set(2);
				context.getBean(CachedCaches.class).getCache("books").invalidate("k");
				assertThat(books.book("k")).isEqualTo("k@2");
			}
			finally {
				redis.resume();
			}
			await().atMost(RECOVERY).until(() -> {
				assertThat(books.book("k")).isEqualTo("k@2");
				return tier.isUp();
			});
			assertThat(books.book("k")).isEqualTo("k@2");
			assertThat(redis.get(Instances.entry("books", "k"))).satisfiesAnyOf((entry) -> assertThat(entry).isNull(),
					(entry) -> assertThat(new String(entry)).contains("k@2"));
		}
		finally {
			Books.version.set(1);
		}
	}

	@Test
	void oneLateAnswerIsNoOutage(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=30s")) {
			Books books = context.getBean(Books.class);
			RedisTier tier = context.getBean(RedisTier.class);
			assertThat(books.book("warm")).isEqualTo("warm@1");
			redis.pause();
			try {
				assertThat(books.book("late")).isEqualTo("late@1");
			}
			finally {
				redis.resume();
			}
			assertThat(tier.isUp()).isTrue();
			assertThat(tier.status()).containsEntry("status", "UP");
			// the next call reads and writes Redis at once, not after retry-after
			assertThat(books.book("next")).isEqualTo("next@1");
			assertThat(redis.get(Instances.entry("books", "next"))).isNotNull();
			assertThat(output).doesNotContain("Redis is unavailable");
		}
	}

	/**
	 * Redis is killed and started again: the commands fail and the subscription is lost.
	 * Before, both ways of clearing cleared the local stores, seconds apart, each with a
	 * line of its own.
	 */
	@Test
	void anOutageIsLoggedOnceEachWayAndClearsTheLocalStoresOnce(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=500ms")) {
			Books books = context.getBean(Books.class);
			RedisTier tier = context.getBean(RedisTier.class);
			assertThat(books.book("warm")).isEqualTo("warm@1");
			assertThat(books.shelf("x")).isEqualTo("x@1");
			redis.kill();
			AtomicInteger calls = new AtomicInteger();
			await().atMost(RECOVERY).until(() -> {
				books.book("down-" + calls.incrementAndGet());
				return !tier.isUp();
			});
			assertThat(tier.status()).containsEntry("subscribed", false);
			redis.restart();
			await().atMost(RECOVERY).until(tier::isUp);
			assertThat(tier.status()).containsEntry("subscribed", true);
			Books.version.set(2);
			assertThat(books.shelf("x")).as("cleared when the outage ended").isEqualTo("x@2");
			// each line is written just after the state it tells of is visible: wait for it
			await().atMost(RECOVERY).until(() -> lines(output, "Redis is back") > 0 && lines(output, "cleared") > 0);
			assertThat(lines(output, "Redis is unavailable")).isOne();
			assertThat(lines(output, "Redis is back")).isOne();
			assertThat(lines(output, "cleared")).isOne();
			// a later subscription event of the same outage clears nothing more
			assertThat(books.shelf("x")).isEqualTo("x@2");
		}
		finally {
			Books.version.set(1);
		}
	}

	/**
	 * The issue: the sample's preload at startup (an {@link ApplicationRunner}) found the
	 * connection not open yet, loaded locally and wrote nothing: {@code remote.misses 1,
	 * puts 0} on 3 of 3 fresh starts.
	 */
	@Test
	void theFirstCallOfAFreshInstanceReadsWhatAnotherInstancePutInRedis() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext first = run(redis)) {
			assertThat(first.getBean(Books.class).book("planted")).isEqualTo("planted@1");
			assertThat(redis.get(Instances.entry("books", "planted"))).isNotNull();
			Books.version.set(2);
			try (ConfigurableApplicationContext fresh = run(PreloadingApplication.class, redis)) {
				Preload preload = fresh.getBean(Preload.class);
				assertThat(preload.first).as("read from Redis, not loaded").isEqualTo("planted@1");
				assertThat(preload.subscribed).as("listening to the other instances before ready").isTrue();
			}
		}
		finally {
			Books.version.set(1);
		}
	}

	private static long lines(CapturedOutput output, String text) {
		return output.getAll().lines().filter((line) -> line.contains(text)).count();
	}

	private static ConfigurableApplicationContext run(RedisServer redis, String... args) {
		return run(Application.class, redis, args);
	}

	private static ConfigurableApplicationContext run(Class<?> application, RedisServer redis, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--spring.jmx.enabled=false",
				"--cached.redis.enabled=true", "--spring.data.redis.host=" + redis.host(),
				"--spring.data.redis.port=" + redis.port(), "--cached.caches.books.remote=true"));
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(application).web(WebApplicationType.NONE).run(all.toArray(new String[0]));
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Books books() {
			return new Books();
		}

		/** Lettuce reconnects within 500 ms of Redis coming back, as the sample does within 2 s. */
		@Bean
		ClientResourcesBuilderCustomizer lettuceReconnectDelay() {
			return (resources) -> resources.reconnectDelay(
					Delay.exponential(Duration.ofMillis(50), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS));
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class PreloadingApplication {

		@Bean
		Books books() {
			return new Books();
		}

		@Bean
		Preload preload(Books books, RedisTier tier) {
			return new Preload(books, tier);
		}

	}

	/** Calls the cache once at startup, as the sample's preload does. */
	static class Preload implements ApplicationRunner {

		private final Books books;

		private final RedisTier tier;

		volatile String first;

		volatile boolean subscribed;

		Preload(Books books, RedisTier tier) {
			this.books = books;
			this.tier = tier;
		}

		@Override
		public void run(org.springframework.boot.ApplicationArguments args) {
			this.subscribed = this.tier.isSubscribed();
			this.first = this.books.book("planted");
		}

	}

	/** A remote cache ({@code books}) and a local one ({@code shelf}) of one shared source. */
	public static class Books {

		/** The source's version, shared by every instance; the tests raise it. */
		static final AtomicInteger version = new AtomicInteger(1);

		@Cached(name = "books")
		public String book(String id) {
			return id + "@" + version.get();
		}

		@Cached(name = "shelf")
		public String shelf(String id) {
			return id + "@" + version.get();
		}

	}

}
