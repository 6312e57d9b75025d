package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.key.StableKeys;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key layout of the Redis tier ({@link RedisKeyLayout}): the entries of one cache
 * spread over Redis Cluster's slots (an entry, its lease and its bucket's meta hash in one
 * slot); each bucket keeps a version, so that a bucket that went back in time is found by
 * the read itself and nothing older is served; and each bucket keeps the highest
 * generation used in it, which corrects an instance whose generation is behind (a clear
 * it missed) before it reads an entry of the older one.
 */
class RedisKeyLayoutTests {

	@Test
	void theNamesAreStableAcrossVersions() {
		// FNV-1a 64 of "books", and CRC-32 of "\"k\"" modulo 1024: fixed forever, or the
		// instances of two versions would not share their entries
		assertThat(RedisKeyLayout.cacheId("books")).isEqualTo("58430ab29d1eba91");
		assertThat(RedisKeyLayout.meta("cached:", "books")).isEqualTo("cached:{58430ab29d1eba91}:meta");
		String k = StableKeys.encode("k");
		String bucket = String.format("%03x", RedisKeyLayout.bucket(k));
		assertThat(RedisKeyLayout.entry("cached:", "books", 3, k))
			.isEqualTo("cached:{58430ab29d1eba91." + bucket + "}:3:\"k\"");
		assertThat(RedisKeyLayout.lease("cached:", "books", 3, k))
			.isEqualTo("cached:{58430ab29d1eba91." + bucket + "}:3:lease:\"k\"");
		assertThat(RedisKeyLayout.bucketMeta("cached:", "books", k))
			.isEqualTo("cached:{58430ab29d1eba91." + bucket + "}:m");
	}

	@Test
	void theEntriesOfOneCacheSpreadOverTheSlots() {
		Set<Integer> buckets = new HashSet<>();
		Set<Integer> slots = new HashSet<>();
		for (long id = 0; id < 10_000; id++) {
			String stable = StableKeys.encode(id);
			String entry = RedisKeyLayout.entry("cached:", "users", 7, stable);
			int slot = SlotHash.getSlot(entry.getBytes(StandardCharsets.UTF_8));
			assertThat(SlotHash.getSlot(RedisKeyLayout.lease("cached:", "users", 7, stable))).isEqualTo(slot);
			assertThat(SlotHash.getSlot(RedisKeyLayout.bucketMeta("cached:", "users", stable))).isEqualTo(slot);
			buckets.add(RedisKeyLayout.bucket(stable));
			slots.add(slot);
		}
		assertThat(buckets).hasSize(RedisKeyLayout.BUCKETS);
		// the 1024 tags of a cache differ in their last three characters only: CRC16 puts
		// them in 1024 slots of their own here
		assertThat(slots).hasSizeGreaterThanOrEqualTo(1000);
	}

	@Test
	void aBucketThatWentBackInTimeIsFoundByTheReadAndNothingOlderIsServed() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
						"--cached.redis.max-staleness=1h")) {
			Books a = instances.bean(0, Books.class);
			Books b = instances.bean(1, Books.class);
			String v1 = a.book("k");
			assertThat(b.book("k")).as("B reads A's value").isEqualTo(v1);
			String entry = Instances.entry("books", "k");
			byte[] old = redis.get(entry);
			assertThat(old).isNotNull();

			// invalidated on A: the bucket's version is raised, and B receives it with the message
			instances.cache(0, "books").invalidate("k");
			await().until(() -> !instances.cache(1, "books").contains("k"));
			assertThat(redis.command("HGET", Instances.bucketMeta("books", "k"), "v")).isEqualTo("1");

			// the bucket alone goes back: its meta hash lost, the old entry back
			redis.command("DEL", Instances.bucketMeta("books", "k"));
			redis.set(entry, old);
			assertThat(b.book("k")).as("B after its bucket went back").isNotEqualTo(v1);
			assertThat(a.book("k")).as("A after the bucket went back").isNotEqualTo(v1);

			// repaired: a new generation, whose entries are read and shared again
			await().until(() -> Instances.generation(redis, "books") > 0);
			await().untilAsserted(() -> {
				instances.engine(0, "books").invalidateLocally("k");
				instances.engine(1, "books").invalidateLocally("k");
				String fromA = a.book("k");
				assertThat(fromA).isNotEqualTo(v1);
				assertThat(b.book("k")).as("B reads A's value through Redis again").isEqualTo(fromA);
			});
		}
	}

	@Test
	void anInstanceWhoseGenerationIsBehindIsCorrectedByTheBucket() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
						"--cached.redis.max-staleness=1h")) {
			Books a = instances.bean(0, Books.class);
			Books b = instances.bean(1, Books.class);
			String v1 = a.book("k");
			assertThat(b.book("k")).isEqualTo(v1);
			// a clear whose message neither instance received, and an instance that since used
			// the new generation in the key's bucket
			redis.command("HSET", Instances.meta("books"), "g", "5");
			redis.command("HSET", Instances.bucketMeta("books", "k"), "g", "5");
			instances.engine(1, "books").invalidateLocally("k");
			String v2 = b.book("k");
			assertThat(v2).as("B, whose generation was 0").isNotEqualTo(v1);
			assertThat(redis.get(RedisKeyLayout.entry("cached:", "books", 5, StableKeys.encode("k")))).asString()
				.isEqualTo("\"" + v2 + "\"");
			instances.engine(0, "books").invalidateLocally("k");
			assertThat(a.book("k")).as("A, whose generation was 0").isEqualTo(v2);
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
