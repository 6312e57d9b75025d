package dev.cached.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any cache name works on the Redis tier, across two instances on one Redis: a name is
 * never inside a hash tag (its keys are named by an id made from it), so braces, colons,
 * spaces and any Unicode neither break a tag nor mix two caches' keys. For each name: a
 * value one instance loads is a hit on the other, an invalidation reaches the other
 * instance and Redis, and a clear moves the cache to a new generation everywhere.
 */
class AnyCacheNameTests {

	private static final int A = 0;

	private static final int B = 1;

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, "--cached.defaults.remote=true",
			"--cached.redis.max-staleness=1h");

	private static final RedisServer redis = instances.redis();

	@ParameterizedTest
	@ValueSource(strings = { "ü{x}: y", "a}b", "{", "two words", "c:d", "}{*[x]" })
	void aCacheNameWithAnyCharacterWorksEndToEnd(String name) {
		String v1 = load(A, name, "k");
		assertThat(load(B, name, "k")).as("B reads A's value through Redis").isEqualTo(v1);
		assertThat(Names.executions(name, "k")).isEqualTo(1);
		String entry = Instances.entry(name, "k");
		assertThat(redis.get(entry)).asString().isEqualTo("\"" + v1 + "\"");
		// the hash tag is the cache's id and the key's bucket, whatever the name holds
		String tag = RedisKeyLayout.cacheId(name) + "." + String.format("%03x", RedisKeyLayout.bucket("\"k\""));
		assertThat(entry).startsWith("cached:{" + tag + "}:");
		assertThat(SlotHash.getSlot(entry)).isEqualTo(SlotHash.getSlot(tag));

		// an invalidation on A reaches Redis and B
		instances.cache(A, name).invalidate("k");
		await().until(() -> !instances.cache(B, name).contains("k"));
		assertThat(redis.get(entry)).as("the entry in Redis").isNull();
		String v2 = load(B, name, "k");
		assertThat(v2).isNotEqualTo(v1);
		instances.engine(A, name).invalidateLocally("k");
		assertThat(load(A, name, "k")).as("A reads B's value through Redis").isEqualTo(v2);

		// a clear on B: a new generation, and A's store is cleared
		instances.cache(B, name).invalidateAll();
		await().until(() -> !instances.cache(A, name).contains("k"));
		assertThat(Instances.generation(redis, name)).isEqualTo(1);
		String v3 = load(A, name, "k");
		assertThat(v3).isNotEqualTo(v2);
		assertThat(redis.get(Instances.entry(redis, name, "k"))).asString().isEqualTo("\"" + v3 + "\"");
		instances.engine(B, name).invalidateLocally("k");
		assertThat(load(B, name, "k")).isEqualTo(v3);
		// and the older generation is swept by the instance that cleared
		await().until(() -> redis.get(entry) == null);
	}

	/** Call the cache named {@code cache} on one instance, through its proxy. */
	private static String load(int instance, String cache, String key) {
		Names names = instances.bean(instance, Names.class);
		return switch (cache) {
			case "ü{x}: y" -> names.unicode(key);
			case "a}b" -> names.closing(key);
			case "{" -> names.opening(key);
			case "two words" -> names.space(key);
			case "c:d" -> names.colon(key);
			case "}{*[x]" -> names.both(key);
			default -> throw new IllegalArgumentException(cache);
		};
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Names names() {
			return new Names();
		}

	}

	/** One remote cache per name; every load, on any instance, makes a value of its own. */
	public static class Names {

		static final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		static int executions(String cache, String key) {
			AtomicInteger count = loads.get(cache + "/" + key);
			return (count != null) ? count.get() : 0;
		}

		private static String value(String cache, String key) {
			return cache + "/" + key + "#" + loads.computeIfAbsent(cache + "/" + key, (k) -> new AtomicInteger())
				.incrementAndGet();
		}

		@Cached(name = "ü{x}: y")
		public String unicode(String key) {
			return value("ü{x}: y", key);
		}

		@Cached(name = "a}b")
		public String closing(String key) {
			return value("a}b", key);
		}

		@Cached(name = "{")
		public String opening(String key) {
			return value("{", key);
		}

		@Cached(name = "two words")
		public String space(String key) {
			return value("two words", key);
		}

		@Cached(name = "c:d")
		public String colon(String key) {
			return value("c:d", key);
		}

		@Cached(name = "}{*[x]")
		public String both(String key) {
			return value("}{*[x]", key);
		}

	}

}
