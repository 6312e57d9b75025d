package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.util.ReflectionTestUtils;

import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.key.StableKeys;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared tier: a value one instance loads is what the other instances answer from
 * Redis, without running the method, bound to the method's declared generic type; it
 * lives locally for at most what remains of it in Redis; keys are laid out as documented,
 * under the configured prefix; {@code null} results are shared too; a background refresh
 * of a remote cache runs once across the instances.
 */
class SharedTierTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final long TEN_MINUTES = Duration.ofMinutes(10).toMillis();

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, settings());

	private static final RedisServer redis = instances.redis();

	private static String[] settings() {
		return new String[] { "--cached.defaults.remote=true", "--cached.defaults.ttl=10m",
				"--cached.caches.maybe.cache-null-values=true", "--cached.caches.refreshing.refresh-after=1s" };
	}

	@AfterEach
	void openGates() {
		Prices.gates.values().forEach(CountDownLatch::countDown);
		Prices.gates.clear();
	}

	@Test
	void aValueLoadedOnOneInstanceIsAnsweredFromRedisOnAnotherAsTheDeclaredGenericType() {
		double remoteHits = instances.count(B, "cache.remote.gets", "prices", "result", "hit");
		double hits = instances.count(B, "cache.gets", "prices", "result", "hit");
		double misses = instances.count(B, "cache.gets", "prices", "result", "miss");
		List<Price> loaded = prices(A).prices("EUR");
		assertThat(prices(A).executions("prices", "EUR")).isEqualTo(1);
		String entry = Instances.entry("prices", "EUR");
		assertThat(redis.keys("cached:*")).contains(entry);
		assertThat(redis.pttl(entry)).isPositive().isLessThanOrEqualTo(TEN_MINUTES);
		List<Price> read = prices(B).prices("EUR");
		assertThat(read).isEqualTo(loaded)
			.hasSize(2)
			.allSatisfy((price) -> assertThat(price).isInstanceOf(Price.class));
		assertThat(read.get(0).tags()).containsExactly("EUR", "new");
		assertThat(prices(B).executions("prices", "EUR")).isZero();
		assertThat(instances.count(B, "cache.remote.gets", "prices", "result", "hit")).isEqualTo(remoteHits + 1);
		assertThat(instances.count(B, "cache.gets", "prices", "result", "hit")).isEqualTo(hits + 1);
		assertThat(instances.count(B, "cache.gets", "prices", "result", "miss")).isEqualTo(misses);
		// and from B's own store from then on
		assertThat(prices(B).prices("EUR")).isEqualTo(loaded);
		assertThat(instances.count(B, "cache.remote.gets", "prices", "result", "hit")).isEqualTo(remoteHits + 1);
		assertThat(prices(B).executions("prices", "EUR")).isZero();
	}

	@Test
	void aLoadCountsARemoteMissAndAPut() {
		double remoteMisses = instances.count(A, "cache.remote.gets", "prices", "result", "miss");
		double puts = instances.count(A, "cache.remote.puts", "prices");
		prices(A).prices("CHF");
		assertThat(instances.count(A, "cache.remote.gets", "prices", "result", "miss")).isEqualTo(remoteMisses + 1);
		assertThat(instances.count(A, "cache.remote.puts", "prices")).isEqualTo(puts + 1);
	}

	/**
	 * The cache's ttl is ten minutes, but the Redis entry has 1.5 seconds left when B reads
	 * it: B's copy is gone within seconds, while A's own, loaded there, stays.
	 */
	@Test
	void aValueReadFromRedisLivesLocallyAtMostForWhatRemainsOfItThere() {
		String entry = Instances.entry("prices", "USD");
		List<Price> loaded = prices(A).prices("USD");
		assertThat(redis.pttl(entry)).isGreaterThan(TEN_MINUTES - Duration.ofMinutes(1).toMillis());
		assertThat(redis.command("PEXPIRE", entry, "1500")).isEqualTo(1L);
		assertThat(prices(B).prices("USD")).isEqualTo(loaded);
		assertThat(prices(B).executions("prices", "USD")).isZero();
		CachedCaches.Cache onB = instances.cache(B, "prices");
		assertThat(onB.contains("USD")).isTrue();
		await().atMost(Duration.ofSeconds(20)).until(() -> !onB.contains("USD"));
		await().atMost(Duration.ofSeconds(20)).until(() -> redis.pttl(entry) == -2);
		assertThat(instances.cache(A, "prices").contains("USD")).isTrue();
		prices(B).prices("USD");
		assertThat(prices(B).executions("prices", "USD")).isEqualTo(1);
	}

	/**
	 * A look-up registers a waiter for news of its key before it looks (so that the news
	 * of a lease's end cannot be missed); one that finds the value in Redis must not leave
	 * it behind, or every key ever read from Redis stays in the tier's map.
	 */
	@Test
	void aLookUpThatFindsTheValueLeavesNoWaiterBehind() {
		Map<?, ?> waiters = (Map<?, ?>) ReflectionTestUtils.getField(ReflectionTestUtils.getField(
				ReflectionTestUtils.getField(instances.bean(B, RedisTier.class), "events"), "waiters"), "waiters");
		assertThat(waiters).isNotNull();
		for (int i = 0; i < 100; i++) {
			prices(A).prices("W" + i);
		}
		// the news of A's writes has reached B: it woke nobody there
		instances.awaitDelivered(A, "prices");
		int before = waiters.size();
		for (int i = 0; i < 100; i++) {
			prices(B).prices("W" + i);
		}
		assertThat(prices(B).executions("prices", "W0")).isZero();
		assertThat(waiters.size()).as("waiters left on B").isEqualTo(before);
	}

	/**
	 * A Redis entry without expiry (set by hand) lives locally for the cache's ttl.
	 */
	@Test
	void aValueReadFromRedisWithoutExpiryLivesLocallyForTheCachesTtl() {
		String entry = Instances.entry("prices", "JPY");
		redis.set(entry, "[{\"sku\":\"planted\",\"cents\":1,\"tags\":[]}]".getBytes(StandardCharsets.UTF_8));
		assertThat(prices(B).prices("JPY")).containsExactly(new Price("planted", 1, List.of()));
		assertThat(prices(B).executions("prices", "JPY")).isZero();
		assertThat(instances.cache(B, "prices").contains("JPY")).isTrue();
	}

	@Test
	void compositeKeysHaveTheirStableFormInRedis() {
		Price loaded = prices(A).price("sku-1", 3);
		String entry = RedisKeyLayout.entry("cached:", "price", 0, "[\"sku-1\",3]");
		assertThat(StableKeys.encode(CachedCaches.key("sku-1", 3))).isEqualTo("[\"sku-1\",3]");
		assertThat(redis.keys(Instances.pattern("price", "*", "*"))).containsExactly(entry);
		assertThat(redis.get(entry)).asString().isEqualTo("{\"sku\":\"sku-1\",\"cents\":300,\"tags\":[]}");
		assertThat(prices(B).price("sku-1", 3)).isEqualTo(loaded);
		assertThat(prices(B).executions("price", "sku-1:3")).isZero();
	}

	@Test
	void nullResultsAreSharedWhenTheCacheStoresNull() {
		assertThat(prices(A).maybe("nothing")).isNull();
		assertThat(redis.get(Instances.entry("maybe", "nothing"))).asString().isEqualTo("null");
		assertThat(prices(B).maybe("nothing")).isNull();
		assertThat(prices(B).executions("maybe", "nothing")).isZero();
		assertThat(instances.cache(B, "maybe").contains("nothing")).isTrue();
		assertThat(prices(A).executions("maybe", "nothing")).isEqualTo(1);
	}

	/**
	 * Instances configured with another key prefix keep their keys and their messages under
	 * it, apart from the others.
	 */
	@Test
	void theKeyPrefixIsHonoured() {
		String[] args = List.of(settings()).toArray(new String[0]);
		String[] prefixed = new String[args.length + 1];
		System.arraycopy(args, 0, prefixed, 0, args.length);
		prefixed[args.length] = "--cached.redis.key-prefix=shop:";
		try (Instances shop = Instances.start(redis, Application.class, 2, prefixed)) {
			List<Price> loaded = shop.bean(A, Prices.class).prices("GBP");
			assertThat(redis.keys("shop:*")).containsExactly(RedisKeyLayout.entry("shop:", "prices", 0, "\"GBP\""));
			assertThat(redis.keys("cached:*GBP*")).isEmpty();
			assertThat(shop.bean(B, Prices.class).prices("GBP")).isEqualTo(loaded);
			assertThat(shop.bean(B, Prices.class).executions("prices", "GBP")).isZero();
			// invalidations travel on shop:events
			shop.cache(A, "prices").invalidate("GBP");
			assertThat(redis.keys("shop:*")).containsExactlyInAnyOrder(RedisKeyLayout.meta("shop:", "prices"),
					RedisKeyLayout.bucketMeta("shop:", "prices", "\"GBP\""));
			await().until(() -> !shop.cache(B, "prices").contains("GBP"));
			// the default-prefix instances know nothing of it
			assertThat(prices(B).prices("GBP")).isNotEqualTo(loaded);
			assertThat(prices(B).executions("prices", "GBP")).isEqualTo(1);
		}
	}

	/**
	 * A stale read on each of two instances starts one reload in total: A's reload holds
	 * the key's lease (it waits on a gate) when B finds its own copy stale, so B leaves the
	 * reload to A; A's new value reaches Redis.
	 */
	@Test
	void aBackgroundRefreshOfARemoteCacheRunsOnceAcrossInstances() throws Exception {
		String key = "refresh";
		String first = prices(A).refreshing(key);
		assertThat(prices(B).refreshing(key)).isEqualTo(first);
		long readOnB = System.nanoTime();
		assertThat(prices(B).executions("refreshing", key)).isZero();
		// the Redis copy expires before either local copy: no instance takes it for a fresher
		// value stored by another, so the lease alone decides who reloads
		String entry = Instances.entry("refreshing", "refresh");
		assertThat(redis.command("PEXPIRE", entry, "300000")).isEqualTo(1L);
		CountDownLatch gate = Prices.close(key);
		// A's copy turns stale after refresh-after (1s): a read then starts its reload
		await().atMost(Duration.ofSeconds(20)).until(() -> {
			assertThat(prices(A).refreshing(key)).isEqualTo(first);
			return prices(A).executions("refreshing", key) == 2;
		});
		assertThat(redis.keys(Instances.pattern("refreshing", "0", "lease:*"))).hasSize(1);
		// B's copy, read from Redis after A's load, is stale too once 1s has passed since
		await().atMost(Duration.ofSeconds(20))
			.until(() -> System.nanoTime() - readOnB > TimeUnit.MILLISECONDS.toNanos(1200));
		assertThat(prices(B).refreshing(key)).isEqualTo(first);
		// B's reload gives way to A's: it ends without running the method (which would wait on the gate)
		await().until(() -> instances.engine(B, "refreshing").inFlightKeys() == 0
				|| prices(B).executions("refreshing", key) > 0);
		assertThat(prices(B).executions("refreshing", key)).as("reloads on B").isZero();
		gate.countDown();
		await().until(() -> {
			byte[] stored = redis.get(entry);
			return stored != null && !new String(stored, StandardCharsets.UTF_8).equals("\"" + first + "\"");
		});
		await().until(() -> !prices(A).refreshing(key).equals(first));
		assertThat(prices(A).executions("refreshing", key)).isEqualTo(2);
		assertThat(prices(B).executions("refreshing", key)).isZero();
	}

	/**
	 * On the instance whose own load wrote the Redis entry, the first read after
	 * refresh-after starts the reload: the Redis copy of that same load is no fresher value
	 * stored by another instance, although it expires a moment later than the local copy
	 * (it was written just after it).
	 */
	@Test
	void aStaleReadOnTheInstanceThatLoadedTheValueStartsTheReload() throws Exception {
		int keys = 20;
		for (int i = 0; i < keys; i++) {
			prices(A).refreshing("own-" + i);
		}
		long loaded = System.nanoTime();
		await().atMost(Duration.ofSeconds(20))
			.until(() -> System.nanoTime() - loaded > TimeUnit.MILLISECONDS.toNanos(1200));
		for (int i = 0; i < keys; i++) {
			prices(A).refreshing("own-" + i);
		}
		await().until(() -> instances.engine(A, "refreshing").inFlightKeys() == 0);
		int reloaded = 0;
		for (int i = 0; i < keys; i++) {
			reloaded += prices(A).executions("refreshing", "own-" + i) - 1;
		}
		assertThat(reloaded).as("keys reloaded after one stale read each").isEqualTo(keys);
	}

	private static Prices prices(int instance) {
		return instances.bean(instance, Prices.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Prices prices() {
			return new Prices();
		}

	}

	/**
	 * A price, with a list inside.
	 *
	 * @param sku the article
	 * @param cents the price
	 * @param tags some tags
	 */
	public record Price(String sku, long cents, List<String> tags) {
	}

	/** The cached methods, counting their executions per key. */
	public static class Prices {

		static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		private static final AtomicInteger versions = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		static CountDownLatch close(String key) {
			CountDownLatch gate = new CountDownLatch(1);
			gates.put(key, gate);
			return gate;
		}

		@Cached(name = "prices")
		public List<Price> prices(String currency) {
			executed("prices", currency);
			int version = versions.incrementAndGet();
			return List.of(new Price("a-" + version, 100, List.of(currency, "new")),
					new Price("b-" + version, 250, List.of()));
		}

		@Cached(name = "price")
		public Price price(String sku, int quantity) {
			executed("price", sku + ":" + quantity);
			return new Price(sku, quantity * 100L, List.of());
		}

		@Cached(name = "maybe")
		public @Nullable String maybe(String key) {
			executed("maybe", key);
			return null;
		}

		@Cached(name = "refreshing")
		public String refreshing(String key) throws InterruptedException {
			executed("refreshing", key);
			CountDownLatch gate = gates.get(key);
			if (gate != null && !gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("gate of " + key + " not opened");
			}
			return key + "#" + versions.incrementAndGet();
		}

		public int executions(String cache, String key) {
			AtomicInteger count = this.executions.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		private void executed(String cache, String key) {
			this.executions.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
