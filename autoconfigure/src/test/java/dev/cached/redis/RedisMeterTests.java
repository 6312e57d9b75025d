package dev.cached.redis;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.cached.redis.RedisFaultTests.Book;
import dev.cached.redis.RedisFaultTests.Books;
import dev.cached.testing.redis.RedisServer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The remote tier's meters: {@code cache.remote.gets{result=hit|miss}},
 * {@code cache.remote.puts} and {@code cache.remote.errors} exist for a remote cache,
 * with the tag keys of Boot's cache meters, and count what happened; the {@code cache.*}
 * meters of that cache keep exactly Boot's tag keys.
 */
class RedisMeterTests {

	private static final Set<String> BOOT_TAG_KEYS = Set.of("cache", "cache.manager", "name");

	@Test
	void remoteMetersCountAcrossTwoInstancesWithBootsTagKeys() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext first = RedisFaultTests.run(redis, "--cached.redis.retry-after=200ms");
				ConfigurableApplicationContext second = RedisFaultTests.run(redis,
						"--cached.redis.retry-after=200ms")) {
			Books firstBooks = RedisFaultTests.warmUp(first, redis);
			Books secondBooks = RedisFaultTests.warmUp(second, redis);
			Counts firstBefore = Counts.of(first, "books");
			Counts secondBefore = Counts.of(second, "books");

			assertThat(firstBooks.book("m")).isEqualTo(new Book("m", 1));
			assertThat(firstBooks.book("m")).isEqualTo(new Book("m", 1));
			assertThat(secondBooks.book("m")).isEqualTo(new Book("m", 1));
			assertThat(secondBooks.loads("m")).isZero();

			// the first instance missed locally and in Redis, then wrote; the second found it in Redis
			assertThat(Counts.of(first, "books").minus(firstBefore)).isEqualTo(new Counts(0, 1, 1, 0));
			assertThat(Counts.of(second, "books").minus(secondBefore)).isEqualTo(new Counts(1, 0, 0, 0));

			for (ConfigurableApplicationContext context : List.of(first, second)) {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				List<Meter> remote = registry.getMeters()
					.stream()
					.filter((meter) -> meter.getId().getName().startsWith("cache.remote."))
					.filter((meter) -> "books".equals(meter.getId().getTag("cache")))
					.toList();
				assertThat(remote).extracting((meter) -> meter.getId().getName() + tagValue(meter, "result"))
					.containsExactlyInAnyOrder("cache.remote.gets:hit", "cache.remote.gets:miss", "cache.remote.puts",
							"cache.remote.errors");
				for (Meter meter : remote) {
					Set<String> expected = (meter.getId().getTag("result") != null)
							? union(BOOT_TAG_KEYS, "result") : BOOT_TAG_KEYS;
					assertThat(tagKeys(meter)).as(meter.getId().toString()).isEqualTo(expected);
				}
				List<Meter> gets = registry.find("cache.gets").tag("cache", "books").meters().stream().toList();
				assertThat(gets).isNotEmpty();
				for (Meter meter : gets) {
					assertThat(tagKeys(meter)).as(meter.getId().toString()).isEqualTo(union(BOOT_TAG_KEYS, "result"));
				}
				// a cache that is not remote has no remote meters
				assertThat(registry.find("cache.remote.gets").tag("cache", "shelf").meters()).isEmpty();
				// Prometheus (on the test classpath) scrapes every one of them without a conflict
				PrometheusMeterRegistry prometheus = context.getBean(PrometheusMeterRegistry.class);
				assertThat(prometheus.scrape()).contains("cache_remote_gets_total{", "cache_remote_puts_total{",
						"cache_remote_errors_total{", "cache_gets_total{");
			}
		}
	}

	private static String tagValue(Meter meter, String key) {
		String value = meter.getId().getTag(key);
		return (value != null) ? ":" + value : "";
	}

	private static Set<String> tagKeys(Meter meter) {
		return meter.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toSet());
	}

	private static Set<String> union(Set<String> keys, String key) {
		Set<String> union = new java.util.HashSet<>(keys);
		union.add(key);
		return union;
	}

	/**
	 * The remote meters of one cache.
	 *
	 * @param hits {@code cache.remote.gets{result=hit}}
	 * @param misses {@code cache.remote.gets{result=miss}}
	 * @param puts {@code cache.remote.puts}
	 * @param errors {@code cache.remote.errors}
	 */
	record Counts(double hits, double misses, double puts, double errors) {

		static Counts of(ConfigurableApplicationContext context, String cache) {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			return new Counts(RedisFaultTests.remoteGets(context, cache, "hit"),
					RedisFaultTests.remoteGets(context, cache, "miss"),
					registry.get("cache.remote.puts").tag("cache", cache).functionCounter().count(),
					RedisFaultTests.errors(context, cache));
		}

		Counts minus(Counts other) {
			return new Counts(this.hits - other.hits, this.misses - other.misses, this.puts - other.puts,
					this.errors - other.errors);
		}

	}

}
