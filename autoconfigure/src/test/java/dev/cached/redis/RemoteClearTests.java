package dev.cached.redis;

import java.time.Duration;
import java.util.LinkedHashMap;
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
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clearing a remote cache costs one command, whatever the size of Redis' keyspace (here
 * 2,000,000 keys of someone else beside a cache of 100 entries), and is atomic: every
 * entry of the cache is gone for every instance at once.
 */
class RemoteClearTests {

	private static final int ENTRIES = 100;

	private static final Duration POPULATE_TIMEOUT = Duration.ofSeconds(60);

	@Test
	void aClearIsOneCommandBesideTwoMillionOtherKeysAndLeavesNoEntryReadable() {
		try (RedisServer redis = RedisServer.builder().arguments("--enable-debug-command", "yes").start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true",
						"--cached.caches.books.ttl=1h", "--cached.redis.max-staleness=1h")) {
			Books a = instances.bean(0, Books.class);
			Books b = instances.bean(1, Books.class);
			for (int i = 0; i < ENTRIES; i++) {
				a.book("b" + i);
			}
			assertThat(b.book("b0")).as("B reads A's value").isEqualTo("b0#1");
			// setup, not a bound: a busy machine (two test JVMs on two cores) may take a while
			assertThat(redis.command(POPULATE_TIMEOUT, "DEBUG", "POPULATE", "2000000")).isEqualTo("OK");
			assertThat(redis.command("DBSIZE")).isEqualTo(2_000_000L + ENTRIES);
			redis.command("CONFIG", "RESETSTAT");

			instances.cache(0, "books").invalidateAll();

			Map<String, Long> calls = commandCalls(redis);
			calls.remove("info");
			calls.remove("config|resetstat");
			// one script (sent by its digest, and with its text if Redis did not hold it yet) and
			// the commands it ran in Redis, once: no SCAN, no deletion of entries
			assertThat(calls).as("the commands the clear sent").containsEntry("hincrby", 2L)
				.containsEntry("publish", 1L)
				.containsOnlyKeys("evalsha", "eval", "hincrby", "publish");
			await().until(() -> !instances.cache(1, "books").contains("b0"));
			for (int i = 0; i < ENTRIES; i += 9) {
				assertThat(b.book("b" + i)).as("B loads b%d again", i).isEqualTo("b" + i + "#2");
			}
		}
	}

	@Test
	void aLoadRunningWhileItsCacheIsClearedElsewhereIsNotWrittenToRedis() throws Exception {
		try (RedisServer redis = RedisServer.start();
				Instances instances = Instances.start(redis, Application.class, 2, "--cached.caches.books.remote=true")) {
			Books a = instances.bean(0, Books.class);
			Books b = instances.bean(1, Books.class);
			CountDownLatch release = Books.block("running");
			CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> a.book("running"));
			await().until(() -> redis.keys(Instances.lease("books", "running")).size() == 1);

			// a marker in A's store: gone once the clear has reached A
			instances.engine(0, "books").getNativeCache().put("marker", "marker");
			instances.cache(1, "books").invalidateAll();
			await().until(() -> instances.engine(0, "books").peek("marker") == null);
			release.countDown();

			String loaded = load.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(redis.keys(Instances.pattern("books", "*", "\"running\""))).as("entries of the key in Redis").isEmpty();
			assertThat(instances.cache(0, "books").contains("running")).isFalse();
			assertThat(b.book("running")).as("B loads the key itself").isNotEqualTo(loaded);
			assertThat(redis.keys(Instances.pattern("books", "1", "\"running\""))).hasSize(1);
		}
	}

	/** The calls of each command since the last {@code CONFIG RESETSTAT}, from {@code INFO commandstats}. */
	private static Map<String, Long> commandCalls(RedisServer redis) {
		Map<String, Long> calls = new LinkedHashMap<>();
		for (String line : ((String) redis.command("INFO", "commandstats")).split("\r?\n")) {
			if (line.startsWith("cmdstat_")) {
				String name = line.substring("cmdstat_".length(), line.indexOf(':'));
				String stats = line.substring(line.indexOf(':') + 1);
				long n = Long.parseLong(stats.substring("calls=".length(), stats.indexOf(',')));
				calls.put(name, n);
			}
		}
		return calls;
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

		private static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		@Cached(name = "books")
		public String book(String id) {
			String value = id + "#" + loads.computeIfAbsent(id, (k) -> new AtomicInteger()).incrementAndGet();
			CountDownLatch gate = gates.remove(id);
			if (gate != null) {
				try {
					gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			return value;
		}

		/** Hold the next load of {@code id} until the returned latch is counted down. */
		static CountDownLatch block(String id) {
			CountDownLatch gate = new CountDownLatch(1);
			gates.put(id, gate);
			return gate;
		}

	}

}
