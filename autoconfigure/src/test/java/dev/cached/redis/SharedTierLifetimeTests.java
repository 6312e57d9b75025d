package dev.cached.redis;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A value read from Redis lives locally for at most what remained of it there, in the
 * caches whose entries carry times of their own: one that refreshes ahead
 * ({@code refresh-after}) and one whose ttl is drawn ({@code ttl-jitter}). Both have a ttl
 * of ten minutes; A loads a key, its Redis entry is then cut to three seconds (as if A had
 * written it long ago), and B reads it from Redis: B's copy must be gone within seconds,
 * not after minutes, while A's own copy, loaded there, stays.
 */
class SharedTierLifetimeTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final long TEN_MINUTES = Duration.ofMinutes(10).toMillis();

	/** Far below the caches' ttl (with jitter, at least five minutes), far above a slow test machine's pauses. */
	private static final Duration EXPIRY_BOUND = Duration.ofSeconds(20);

	private static RedisServer redis;

	private static Instances instances;

	@BeforeAll
	static void start() {
		redis = RedisServer.start();
		instances = Instances.start(redis, Application.class, 2, "--cached.defaults.remote=true",
				"--cached.defaults.ttl=10m", "--cached.caches.refreshing.refresh-after=5m",
				"--cached.caches.jittered.ttl-jitter=0.5");
	}

	@AfterAll
	static void stop() {
		if (instances != null) {
			instances.close();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "refreshing", "jittered" })
	void aValueReadFromRedisLivesLocallyAtMostForWhatRemainsOfItThere(String cache) {
		String key = "short-" + cache;
		String entry = Instances.entry(cache, key);
		String loaded = read(A, cache, key);
		assertThat(redis.pttl(entry)).as("A's write of %s", cache)
			.isGreaterThan(TEN_MINUTES / 2 - Duration.ofMinutes(1).toMillis());
		assertThat(redis.command("PEXPIRE", entry, "3000")).isEqualTo(1L);

		assertThat(read(B, cache, key)).isEqualTo(loaded);
		assertThat(rates(B).executions(cache, key)).as("read from Redis, not loaded").isZero();
		CachedCaches.Cache onB = instances.cache(B, cache);
		assertThat(onB.contains(key)).isTrue();

		await().alias("B's copy gone by its Redis expiry").atMost(EXPIRY_BOUND).until(() -> !onB.contains(key));
		assertThat(instances.cache(A, cache).contains(key)).as("A's own copy lives the cache's ttl").isTrue();
		await().atMost(EXPIRY_BOUND).until(() -> redis.pttl(entry) == -2);
		assertThat(read(B, cache, key)).isNotEqualTo(loaded);
		assertThat(rates(B).executions(cache, key)).isEqualTo(1);
	}

	private static Rates rates(int instance) {
		return instances.bean(instance, Rates.class);
	}

	/** A call through the instance's proxy, to the method of {@code cache}. */
	private static String read(int instance, String cache, String key) {
		return switch (cache) {
			case "refreshing" -> rates(instance).refreshing(key);
			case "jittered" -> rates(instance).jittered(key);
			default -> throw new IllegalArgumentException(cache);
		};
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Rates rates() {
			return new Rates();
		}

	}

	/** Two remote caches with entries that carry their own times; executions counted per key. */
	public static class Rates {

		private static final AtomicInteger versions = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		@Cached(name = "refreshing")
		public String refreshing(String key) {
			return executed("refreshing", key);
		}

		@Cached(name = "jittered")
		public String jittered(String key) {
			return executed("jittered", key);
		}

		public int executions(String cache, String key) {
			AtomicInteger count = this.executions.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		private String executed(String cache, String key) {
			this.executions.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
			return key + "#" + versions.incrementAndGet();
		}

	}

}
