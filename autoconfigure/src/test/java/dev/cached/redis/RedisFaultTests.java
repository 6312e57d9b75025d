package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.key.StableKeys;
import dev.cached.testing.redis.RedisServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.util.StringUtils;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Redis never fails a call": against a real {@code redis-server} that each test starts,
 * then stops, kills or pauses, every call of a remote cache returns its value, the fault
 * is counted in {@code cache.remote.errors} and logged once per outage, and the instance
 * recovers by itself when Redis is back. A payload that is not the cache's is a miss,
 * counted, and overwritten by the load.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisFaultTests {

	static final String UNAVAILABLE = "Redis is unavailable";

	static final String BACK = "Redis is back";

	/** Generous bound of a recovery: Lettuce reconnects with a back-off of its own. */
	static final Duration RECOVERY = Duration.ofSeconds(30);

	private static final JsonMapper json = JsonMapper.builder().build();

	@Test
	void redisDownAtStartupDoesNotFailStartupNorAnyCallAndTheInstanceRecoversWhenItComes(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start()) {
			redis.stop();
			try (ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms")) {
				Books books = context.getBean(Books.class);
				RedisTier tier = context.getBean(RedisTier.class);
				// many calls over several retry periods, each failing again: all answered by local loads
				AtomicInteger calls = new AtomicInteger();
				await().atMost(RECOVERY).until(() -> {
					String id = "down-" + calls.incrementAndGet();
					assertThat(books.book(id)).isEqualTo(new Book(id, 1));
					return errors(context, "books") >= 3;
				});
				for (int i = 1; i <= calls.get(); i++) {
					assertThat(books.book("down-" + i)).isEqualTo(new Book("down-" + i, 1));
				}
				assertThat(books.loads()).isEqualTo(calls.get());
				assertThat(tier.isUp()).isFalse();
				assertThat(tier.status()).containsEntry("status", "DOWN").containsKey("since");
				assertThat(occurrences(output, 0, UNAVAILABLE)).isOne();
				assertThat(occurrences(output, 0, BACK)).isZero();

				redis.restart();
				String id = awaitWrittenToRedis(books, redis, "up-");
				assertThat(tier.isUp()).isTrue();
				assertThat(tier.status()).containsEntry("status", "UP").doesNotContainKey("since");
				assertThat(json.readTree(redis.get(entry("books", id))))
					.isEqualTo(json.readTree(json.writeValueAsBytes(new Book(id, 1))));
				assertThat(occurrences(output, 0, BACK)).isOne();
				assertThat(occurrences(output, 0, UNAVAILABLE)).isOne();
			}
		}
	}

	@Test
	void redisDownAtStartupListensToTheOtherInstancesOnceItComes() {
		try (RedisServer redis = RedisServer.start()) {
			redis.stop();
			try (ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms")) {
				Books books = context.getBean(Books.class);
				assertThat(books.book("down")).isEqualTo(new Book("down", 1));
				redis.restart();
				awaitWrittenToRedis(books, redis, "up-");
				assertThat(books.shelf("x")).isEqualTo(new Book("x", 1));
				awaitInvalidationFromAnotherInstance(redis, books);
				assertThat(context.getBean(RedisTier.class).status()).containsEntry("subscribed", true);
			}
		}
	}

	@Test
	void subscriptionResetWhileItIsMadeIsMadeAgain() throws Exception {
		try (RedisServer redis = RedisServer.start(); SubscribeResettingProxy proxy = new SubscribeResettingProxy(redis)) {
			try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
				.web(WebApplicationType.NONE)
				.run("--spring.main.banner-mode=off", "--cached.redis.enabled=true",
						"--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + proxy.port(),
						"--cached.redis.retry-after=200ms")) {
				await().until(() -> proxy.resets() == 1);
				Books books = context.getBean(Books.class);
				assertThat(books.shelf("x")).isEqualTo(new Book("x", 1));
				awaitInvalidationFromAnotherInstance(redis, books);
				assertThat(context.getBean(RedisTier.class).status()).containsEntry("subscribed", true);
			}
		}
	}

	@Test
	void redisKilledMidRunAnswersEveryCallAndOnRecoveryClearsTheLocalStores(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms")) {
			Books books = warmUp(context, redis);
			int mark = output.getOut().length();
			assertThat(books.book("before")).isEqualTo(new Book("before", 1));
			assertThat(redis.get(entry("books", "before"))).isNotNull();
			assertThat(errors(context, "books")).isZero();

			killAndAnswerLocally(redis, context, books);

			redis.restart();
			awaitWrittenToRedis(books, redis, "after-");
			assertThat(occurrences(output, mark, BACK)).isOne();
			assertThat(occurrences(output, mark, UNAVAILABLE)).isOne();
			// the local copy taken before the outage is gone: the key is loaded again
			assertThat(books.book("before")).isEqualTo(new Book("before", 2));
			assertThat(books.loads("before")).isEqualTo(2);
			assertThat(books.shelf("x")).isEqualTo(new Book("x", 1));
			awaitInvalidationFromAnotherInstance(redis, books);
		}
	}

	@Test
	void redisKilledMidRunInvalidatesTheLocalStoresEvenWithoutClearOnReconnect(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms",
						"--cached.redis.clear-on-reconnect=false")) {
			Books books = warmUp(context, redis);
			int mark = output.getOut().length();
			assertThat(books.book("before")).isEqualTo(new Book("before", 1));
			assertThat(books.shelf("x")).isEqualTo(new Book("x", 1));

			killAndAnswerLocally(redis, context, books);

			redis.restart();
			awaitWrittenToRedis(books, redis, "after-");
			assertThat(occurrences(output, mark, BACK)).isOne();
			// listening again (an invalidation from another instance arrives); the subscription was
			// lost, so its messages meanwhile were missed: the stores were invalidated all the same
			awaitInvalidationFromAnotherInstance(redis, books);
			assertThat(books.book("before")).isEqualTo(new Book("before", 2));
			assertThat(books.loads("before")).isEqualTo(2);
		}
	}

	private static void killAndAnswerLocally(RedisServer redis, ConfigurableApplicationContext context, Books books) {
		RedisTier tier = context.getBean(RedisTier.class);
		redis.kill();
		// the key cached before the outage is a local hit, a new key is loaded locally
		assertThat(books.book("before")).isEqualTo(new Book("before", 1));
		List<String> during = new ArrayList<>();
		await().atMost(RECOVERY).until(() -> {
			String id = "during-" + during.size();
			during.add(id);
			assertThat(books.book(id)).isEqualTo(new Book(id, 1));
			return !tier.isUp();
		});
		// a lost connection begins an outage at once, with its error (counted for "books" only
		// when one of its calls met the fault first: a background command may meet it before)
		assertThat(tier.status()).containsEntry("status", "DOWN");
		assertThat(tier.status().get("error")).isNotNull();
		for (String id : during) {
			assertThat(books.book(id)).isEqualTo(new Book(id, 1));
			assertThat(books.loads(id)).isEqualTo(1);
		}
		assertThat(tier.isUp()).isFalse();
	}

	/**
	 * With {@code books.shelf("x")} cached locally, start another instance on the same
	 * Redis and have it invalidate {@code x} until this instance drops its copy.
	 */
	private static void awaitInvalidationFromAnotherInstance(RedisServer redis, Books books) {
		try (ConfigurableApplicationContext other = run(redis)) {
			Books otherBooks = other.getBean(Books.class);
			await().atMost(RECOVERY).until(() -> {
				otherBooks.evictShelf("x");
				return books.shelf("x").load() > 1;
			});
		}
	}

	@Test
	void slowRedisIsAbandonedAfterTheTimeoutAndLeftAloneDuringRetryAfter(CapturedOutput output) {
		// Lettuce's own timeout is far longer than the tier's: it must not matter
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--spring.data.redis.timeout=30s")) {
			Books books = warmUp(context, redis);
			RedisTier tier = context.getBean(RedisTier.class);
			int mark = output.getOut().length();
			redis.pause();
			try {
				long start = System.nanoTime();
				assertThat(books.book("slow")).isEqualTo(new Book("slow", 1));
				Duration took = Duration.ofNanos(System.nanoTime() - start);
				assertThat(took).isLessThan(Duration.ofSeconds(5));
				assertThat(errors(context, "books")).isPositive();
				// one late answer is no outage; the third in a row begins one
				assertThat(tier.status()).containsEntry("status", "UP");
				for (int i = 2; i <= RedisBreaker.OUTAGE_AFTER; i++) {
					assertThat(books.book("slow-" + i)).isEqualTo(new Book("slow-" + i, 1));
				}
				double errors = errors(context, "books");
				assertThat(tier.status()).containsEntry("status", "DOWN")
					.containsEntry("error", "no answer within 250ms")
					.containsEntry("timeout", "250ms");
				// during the outage calls do not reach Redis: no wait, no new fault
				double misses = remoteGets(context, "books", "miss");
				start = System.nanoTime();
				for (int i = 0; i < 10; i++) {
					assertThat(books.book("quiet-" + i)).isEqualTo(new Book("quiet-" + i, 1));
				}
				took = Duration.ofNanos(System.nanoTime() - start);
				// 10 calls that each waited for the 250ms timeout would take 2.5s at least
				assertThat(took).isLessThan(Duration.ofMillis(2000));
				assertThat(errors(context, "books")).isEqualTo(errors);
				assertThat(remoteGets(context, "books", "miss")).isEqualTo(misses + 10);
				assertThat(occurrences(output, mark, UNAVAILABLE)).isOne();
			}
			finally {
				redis.resume();
			}
			awaitWrittenToRedis(books, redis, "resumed-");
			assertThat(tier.isUp()).isTrue();
			assertThat(occurrences(output, mark, BACK)).isOne();
		}
	}

	@Test
	void customTimeoutBoundsEveryCall() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.timeout=100ms",
						"--cached.redis.retry-after=200ms", "--spring.data.redis.timeout=30s")) {
			Books books = warmUp(context, redis);
			RedisTier tier = context.getBean(RedisTier.class);
			redis.pause();
			try {
				long start = System.nanoTime();
				assertThat(books.book("slow")).isEqualTo(new Book("slow", 1));
				assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
				assertThat(errors(context, "books")).isPositive();
				for (int i = 2; i <= RedisBreaker.OUTAGE_AFTER; i++) {
					assertThat(books.book("slow-" + i)).isEqualTo(new Book("slow-" + i, 1));
				}
				assertThat(tier.status()).containsEntry("status", "DOWN")
					.containsEntry("error", "no answer within 100ms")
					.containsEntry("timeout", "100ms");
			}
			finally {
				redis.resume();
			}
			awaitWrittenToRedis(books, redis, "resumed-");
			assertThat(tier.isUp()).isTrue();
		}
	}

	@Test
	void payloadsThatAreNotTheCachesAreMissesCountedLoggedOncePerCacheAndOverwritten(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--cached.redis.retry-after=200ms")) {
			Books books = warmUp(context, redis);
			int mark = output.getOut().length();
			double booksErrors = errors(context, "books");
			double booksMisses = remoteGets(context, "books", "miss");
			byte[] garbage = { (byte) 0xff, 0, 'x', (byte) 0xc3, '{', '\r', '\n' };
			redis.set(entry("books", "garbage"), garbage);
			redis.set(entry("books", "wrong-shape"), bytes("{\"isbn\":\"978-0\",\"pages\":12}"));
			redis.set(entry("books", "array"), bytes("[\"garbage\",1]"));
			redis.set(entry("covers", "wrong-shape"), bytes("{\"isbn\":\"978-0\"}"));
			redis.set(entry("covers", "trailing"), bytes("{\"id\":\"trailing\",\"load\":7} 42"));

			assertThat(books.book("garbage")).isEqualTo(new Book("garbage", 1));
			assertThat(books.book("wrong-shape")).isEqualTo(new Book("wrong-shape", 1));
			assertThat(books.book("array")).isEqualTo(new Book("array", 1));
			assertThat(books.cover("wrong-shape")).isEqualTo(new Book("wrong-shape", 1));
			assertThat(books.cover("trailing")).isEqualTo(new Book("trailing", 1));

			assertThat(errors(context, "books")).isEqualTo(booksErrors + 3);
			assertThat(errors(context, "covers")).isEqualTo(2);
			assertThat(remoteGets(context, "books", "hit")).isZero();
			assertThat(remoteGets(context, "books", "miss")).isEqualTo(booksMisses + 3);
			for (String id : List.of("garbage", "wrong-shape", "array")) {
				assertThat(json.readTree(redis.get(entry("books", id))))
					.isEqualTo(json.readTree(json.writeValueAsBytes(new Book(id, 1))));
			}
			for (String id : List.of("wrong-shape", "trailing")) {
				assertThat(json.readTree(redis.get(entry("covers", id))))
					.isEqualTo(json.readTree(json.writeValueAsBytes(new Book(id, 1))));
			}
			// a payload problem is not an outage
			assertThat(context.getBean(RedisTier.class).isUp()).isTrue();
			assertThat(occurrences(output, mark, UNAVAILABLE)).isZero();
			assertThat(occurrences(output, mark, "A Redis entry of cache 'books' ")).isOne();
			assertThat(occurrences(output, mark, "A Redis entry of cache 'covers' ")).isOne();

			// another instance now reads the good JSON: a remote hit, no load
			try (ConfigurableApplicationContext other = run(redis)) {
				Books otherBooks = other.getBean(Books.class);
				assertThat(otherBooks.book("garbage")).isEqualTo(new Book("garbage", 1));
				assertThat(otherBooks.loads("garbage")).isZero();
				assertThat(remoteGets(other, "books", "hit")).isOne();
				assertThat(errors(other, "books")).isZero();
			}
		}
	}

	/**
	 * Call the cache with a new key each time until the value a call loaded is in Redis:
	 * Redis is back and this instance uses it again.
	 */
	static String awaitWrittenToRedis(Books books, RedisServer redis, String prefix) {
		AtomicInteger n = new AtomicInteger();
		await().atMost(RECOVERY).until(() -> {
			String id = prefix + n.incrementAndGet();
			assertThat(books.book(id)).isEqualTo(new Book(id, 1));
			return redis.get(entry("books", id)) != null;
		});
		return prefix + n.get();
	}

	static ConfigurableApplicationContext run(RedisServer redis, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--cached.redis.enabled=true",
				"--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port(),
				"--cached.caches.books.remote=true", "--cached.caches.covers.remote=true"));
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).run(all.toArray(new String[0]));
	}

	static String entry(String cache, String id) {
		return RedisKeyLayout.entry("cached:", cache, 0, StableKeys.encode(id));
	}

	static double errors(ConfigurableApplicationContext context, String cache) {
		return context.getBean(MeterRegistry.class)
			.get("cache.remote.errors")
			.tag("cache", cache)
			.functionCounter()
			.count();
	}

	static double remoteGets(ConfigurableApplicationContext context, String cache, String result) {
		return context.getBean(MeterRegistry.class)
			.get("cache.remote.gets")
			.tag("cache", cache)
			.tag("result", result)
			.functionCounter()
			.count();
	}

	/**
	 * Wait until the instance listens to the others and a value it loaded is in Redis, so
	 * that a test starts from an instance whose connection and subscription are made (the
	 * first calls after startup go local while the connection is being opened).
	 */
	static Books warmUp(ConfigurableApplicationContext context, RedisServer redis) {
		Books books = context.getBean(Books.class);
		RedisTier tier = context.getBean(RedisTier.class);
		await().atMost(RECOVERY).until(tier::isSubscribed);
		awaitWrittenToRedis(books, redis, "warm-");
		return books;
	}

	static int occurrences(CapturedOutput output, int from, String text) {
		return StringUtils.countOccurrencesOf(output.getOut().substring(from), text);
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Books books() {
			return new Books();
		}

	}

	/**
	 * A value with a shape of its own, so that JSON of another shape does not read as it.
	 *
	 * @param id the key it was loaded for
	 * @param load which load of that key made it (1 for the first)
	 */
	public record Book(String id, int load) {
	}

	/**
	 * Two remote caches ({@code books}, {@code covers}, by the tests' properties) and a
	 * local one ({@code shelf}); each load is counted per key.
	 */
	public static class Books {

		private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		@Cached(name = "books")
		public Book book(String id) {
			return new Book(id, load("book:" + id));
		}

		@Cached(name = "covers")
		public Book cover(String id) {
			return new Book(id, load("cover:" + id));
		}

		@Cached(name = "shelf")
		public Book shelf(String id) {
			return new Book(id, load("shelf:" + id));
		}

		@CacheInvalidate(name = "shelf")
		public void evictShelf(String id) {
		}

		@CacheInvalidate(name = "books")
		public void evict(String id) {
		}

		private int load(String key) {
			return this.loads.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		/**
		 * Return how many times {@link #book} ran for a key.
		 * @param id the key
		 * @return the loads
		 */
		public int loads(String id) {
			AtomicInteger count = this.loads.get("book:" + id);
			return (count != null) ? count.get() : 0;
		}

		/**
		 * Return how many times any method ran.
		 * @return the loads
		 */
		public int loads() {
			return this.loads.values().stream().mapToInt(AtomicInteger::get).sum();
		}

	}

}
