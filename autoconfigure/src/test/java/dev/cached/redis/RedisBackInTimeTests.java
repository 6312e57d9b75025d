package dev.cached.redis;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Redis that comes back older (here: restarted from a snapshot taken before an
 * invalidation) never brings the invalidated value back, not even for a moment: the read
 * script finds the cache's version below the one the instance has seen, reads nothing,
 * and the instance repairs Redis (a higher version, a new generation of entries).
 */
class RedisBackInTimeTests {

	@Test
	void aValueInvalidatedAfterTheSnapshotIsNeverServedAgain() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
						"--cached.redis.retry-after=200ms")) {
			Books a = instances.bean(0, Books.class);
			Books b = instances.bean(1, Books.class);
			String v1 = a.book("k");
			assertThat(b.book("k")).as("B reads A's value").isEqualTo(v1);
			redis.save();

			// invalidated, and replaced by a new value, after the snapshot
			instances.cache(0, "books").invalidate("k");
			await().until(() -> !instances.cache(1, "books").contains("k"));
			String v2 = a.book("k");
			assertThat(v2).isNotEqualTo(v1);
			assertThat(b.book("k")).isEqualTo(v2);

			redis.kill();
			redis.restart();
			assertThat(redis.get(Instances.entry("books", "k"))).as("the snapshot holds the old value").isNotNull();

			// every call misses locally, as after an eviction: each looks in Redis once it answers
			List<String> served = new CopyOnWriteArrayList<>();
			await().until(() -> {
				missEverywhere(instances, served);
				return instances.bean(0, RedisTier.class).isUp() && instances.bean(1, RedisTier.class).isUp();
			});
			for (int round = 0; round < 3; round++) {
				missEverywhere(instances, served);
			}
			assertThat(served).as("values served after the restart").doesNotContain(v1);

			// repaired: the version is above what the instances had seen, and reads work again
			await().until(() -> Instances.generation(redis, "books") > 0);
			Object v = redis.command("HGET", Instances.meta("books"), "v");
			assertThat(Long.parseLong((String) v)).isGreaterThan(1);
			await().untilAsserted(() -> {
				instances.engine(0, "books").invalidateLocally("k");
				instances.engine(1, "books").invalidateLocally("k");
				String fromA = a.book("k");
				assertThat(b.book("k")).as("B reads A's value through Redis again").isEqualTo(fromA);
			});
			assertThat(served).doesNotContain(v1);
			// (recorded just after the stores are cleared and Redis' versions raised)
			await().until(() -> lastGap(instances, 0) != null);
		}
	}

	private static void missEverywhere(Instances instances, List<String> served) {
		for (int i = 0; i < 2; i++) {
			instances.engine(i, "books").invalidateLocally("k");
			served.add(instances.bean(i, Books.class).book("k"));
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
		Books books() {
			return new Books();
		}

	}

	/** A remote cache ({@code books}); every load, on any instance, makes a value of its own. */
	public static class Books {

		private static final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		@Cached(name = "books")
		public String book(String id) {
			return id + "#" + loads.computeIfAbsent(id, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
