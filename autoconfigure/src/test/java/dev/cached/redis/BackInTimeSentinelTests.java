package dev.cached.redis;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failover on Sentinel to a replica that had not received the last invalidation is
 * "Redis that comes back older": it never brings the invalidated value back, not even for
 * a moment. The replica is cut off deterministically: it is paused ({@code SIGSTOP}) and
 * its link dropped on the primary ({@code CLIENT KILL TYPE replica}), so that it cannot
 * come back for the invalidation; the primary is then killed ({@code kill -9}) and the
 * replica resumed and promoted, holding the value and the cache's version from before the
 * invalidation.
 */
class BackInTimeSentinelTests {

	private static RedisSentinelSetup sentinel;

	private static Instances instances;

	@BeforeAll
	static void start() {
		sentinel = RedisSentinelSetup.start();
		instances = Instances.start(sentinel, Application.class, 2, "--cached.caches.books.remote=true",
				"--cached.redis.timeout=250ms", "--cached.redis.retry-after=200ms");
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

	@Test
	void aFailoverToAReplicaThatMissedAnInvalidationNeverServesTheInvalidatedValue() {
		Books a = instances.bean(0, Books.class);
		Books b = instances.bean(1, Books.class);
		String v1 = a.book("k");
		assertThat(b.book("k")).as("B reads A's value").isEqualTo(v1);
		RedisServer primary = sentinel.primary();
		RedisServer replica = sentinel.replicas().get(0);
		String entry = Instances.entry("books", "k");
		await().until(() -> replica.get(entry) != null);

		replica.pause();
		String v2;
		try {
			primary.command("CLIENT", "KILL", "TYPE", "replica");
			// invalidated and loaded again where the replica cannot see it; B follows
			instances.cache(0, "books").invalidate("k");
			await().until(() -> !instances.cache(1, "books").contains("k"));
			v2 = a.book("k");
			assertThat(v2).isNotEqualTo(v1);
			assertThat(b.book("k")).isEqualTo(v2);
			primary.kill();
		}
		finally {
			replica.resume();
		}
		sentinel.awaitFailover(primary);
		assertThat(sentinel.primary()).isSameAs(replica);
		assertThat(replica.get(entry)).as("the new primary holds the invalidated value").asString()
			.isEqualTo("\"" + v1 + "\"");

		// every call misses locally, as after an eviction: each looks in Redis once it answers
		List<String> served = new CopyOnWriteArrayList<>();
		await().until(() -> {
			missEverywhere(served);
			return instances.bean(0, RedisTier.class).isUp() && instances.bean(1, RedisTier.class).isUp();
		});
		for (int round = 0; round < 3; round++) {
			missEverywhere(served);
		}
		assertThat(served).as("values served after the failover").doesNotContain(v1);

		// repaired: a new generation, so the old entry is read by no one; Redis is shared again
		await().until(() -> Instances.generation(replica, "books") > 0);
		await().untilAsserted(() -> {
			instances.engine(0, "books").invalidateLocally("k");
			instances.engine(1, "books").invalidateLocally("k");
			String fromA = a.book("k");
			assertThat(b.book("k")).as("B reads A's value through Redis again").isEqualTo(fromA);
		});
		assertThat(served).doesNotContain(v1);
	}

	private static void missEverywhere(List<String> served) {
		for (int i = 0; i < 2; i++) {
			instances.engine(i, "books").invalidateLocally("k");
			served.add(instances.bean(i, Books.class).book("k"));
		}
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
