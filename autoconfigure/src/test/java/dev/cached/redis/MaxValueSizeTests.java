package dev.cached.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cached.redis.max-value-size}: an entry larger than it is never read (checked in
 * Redis: not one byte of it leaves the server), counts as an error and a miss, and the
 * next load overwrites it; a value larger than it is never written.
 */
class MaxValueSizeTests {

	private static final int PLANTED = 64 * 1024 * 1024;

	@Test
	void aPlantedEntryOfSixtyFourMegabytesIsNeverReadAndIsOverwritten() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 1, "--cached.defaults.remote=true")) {
			Books books = instances.bean(0, Books.class);
			String entry = Instances.entry("books", "big");
			redis.command("SETRANGE", entry, Integer.toString(PLANTED - 1), "x");
			assertThat(redis.command("STRLEN", entry)).isEqualTo((long) PLANTED);
			long sentBefore = netOutput(redis);

			assertThat(books.book("big")).isEqualTo("big#1");

			assertThat(netOutput(redis) - sentBefore).as("bytes Redis sent").isLessThan(1024 * 1024);
			assertThat(instances.count(0, "cache.remote.errors", "books")).isOne();
			assertThat(instances.count(0, "cache.remote.gets", "books", "result", "miss")).isOne();
			assertThat(redis.get(entry)).as("overwritten by the load").asString().isEqualTo("\"big#1\"");
		}
	}

	@Test
	void aValueLargerThanTheMaximumIsNeverWritten() {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 1, "--cached.defaults.remote=true",
						"--cached.redis.max-value-size=1KB")) {
			Books books = instances.bean(0, Books.class);
			String large = books.large("l");
			assertThat(large).hasSizeGreaterThan(1024);
			assertThat(books.large("l")).as("stored locally").isSameAs(large);
			assertThat(redis.keys(Instances.entry("large", "l"))).as("written to Redis").isEmpty();
			assertThat(instances.count(0, "cache.remote.errors", "large")).isOne();
			assertThat(instances.count(0, "cache.remote.puts", "large")).isZero();
			// below the maximum, written as usual
			books.book("small");
			assertThat(redis.get(Instances.entry("books", "small"))).isNotNull();
		}
	}

	private static long netOutput(RedisServer redis) {
		for (String line : ((String) redis.command("INFO", "stats")).split("\r?\n")) {
			if (line.startsWith("total_net_output_bytes:")) {
				return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
			}
		}
		throw new IllegalStateException("no total_net_output_bytes in INFO stats");
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Books books() {
			return new Books();
		}

	}

	/** Two remote caches: {@code books} of small values, {@code large} of 2,000 characters. */
	public static class Books {

		private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		@Cached(name = "books")
		public String book(String id) {
			return id + "#" + this.loads.computeIfAbsent(id, (k) -> new AtomicInteger()).incrementAndGet();
		}

		@Cached(name = "large")
		public String large(String id) {
			return id + "#" + "x".repeat(2000);
		}

	}

}
