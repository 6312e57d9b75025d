package dev.cached.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.engine.CachedCache;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The many-instances promises on a Redis Cluster (three primaries, a replica each), the
 * instances configured with {@code spring.data.redis.cluster.nodes} and Lettuce's topology
 * refresh only, as a Redis user confined by the documented ACL, without a Redis error: a
 * cold key is loaded once across three instances of eight callers each, an instance
 * reads what another loaded (it runs nothing), an invalidation and a clear on one reach
 * the others (a remote cache and a local one), and a bulk call
 * ({@code @CachedAll}) reads what single calls loaded and loads the rest once. What is
 * asserted is what the instances do (executions counted across them, their stores and
 * meters), never where Redis keeps the entries. Failovers are in
 * {@link FailoverClusterTests}.
 */
class ManyInstancesClusterTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int C = 2;

	private static final int CALLERS = 8;

	private static RedisCluster cluster;

	private static Instances instances;

	private ExecutorService executor;

	/**
	 * The ACL of docs/many-instances.md for a cluster ("Redis Cluster"): the one for a single
	 * Redis, and what Lettuce needs to learn the cluster's topology.
	 */
	static final String ACL = "resetkeys ~cached:* resetchannels &cached:* -@all +get +set +del +unlink +pttl "
			+ "+pexpire +strlen +hget +hmget +hset +hincrby +scan +eval +evalsha +publish +subscribe +unsubscribe "
			+ "+ping +hello +cluster|nodes";

	@BeforeAll
	static void start() {
		cluster = RedisCluster.start();
		for (RedisServer node : cluster.nodes()) {
			// a cluster does not share its users: each node is told
			assertThat(node.command(("ACL SETUSER orders-service on >s3cret " + ACL).split(" "))).isEqualTo("OK");
		}
		instances = Instances.start(cluster, Application.class, 3, "--cached.caches.quotes.remote=true",
				"--cached.caches.users.remote=true", "--cached.caches.cleared.remote=true",
				"--cached.caches.spread.remote=true",
				"--cached.defaults.ttl=10m", "--spring.data.redis.username=orders-service",
				"--spring.data.redis.password=s3cret");
	}

	@AfterAll
	static void stop() {
		try {
			if (instances != null) {
				instances.close();
			}
		}
		finally {
			if (cluster != null) {
				cluster.close();
			}
		}
	}

	@AfterEach
	void openGates() {
		Quotes.gates.values().forEach(CountDownLatch::countDown);
		Quotes.gates.clear();
		if (this.executor != null) {
			this.executor.shutdownNow();
		}
	}

	/** Nothing the tier sent was refused (by the ACL, or for a slot on another node). */
	@AfterEach
	void noRedisErrors() {
		for (int i = 0; i < instances.size(); i++) {
			assertThat(instances.bean(i, RedisTier.class).isUp()).as("instance %s up", i).isTrue();
			for (String cache : List.of("quotes", "users", "cleared")) {
				assertThat(instances.count(i, "cache.remote.errors", cache)).as("errors of %s on %s", cache, i).isZero();
			}
		}
	}

	/**
	 * 3 instances x 8 callers released together on one cold key: one execution in all. The
	 * load waits on a gate until every instance has its callers in flight (seven joined
	 * locally, one asking Redis or loading).
	 */
	@Test
	void aColdKeyIsLoadedOnceAcrossThreeInstances() throws Exception {
		String key = "cold";
		CountDownLatch gate = Quotes.close(key);
		long[] coalescedBefore = new long[instances.size()];
		for (int i = 0; i < instances.size(); i++) {
			coalescedBefore[i] = instances.cache(i, "quotes").getStatistics().coalesced();
		}
		this.executor = Executors.newFixedThreadPool(instances.size() * CALLERS);
		CyclicBarrier start = new CyclicBarrier(instances.size() * CALLERS);
		List<Future<String>> results = new ArrayList<>();
		for (int i = 0; i < instances.size(); i++) {
			Quotes quotes = quotes(i);
			for (int t = 0; t < CALLERS; t++) {
				results.add(this.executor.submit(() -> {
					start.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
					return quotes.quote(key);
				}));
			}
		}
		for (int i = 0; i < instances.size(); i++) {
			int instance = i;
			CachedCache cache = instances.engine(i, "quotes");
			await().untilAsserted(() -> {
				assertThat(cache.inFlightKeys()).isEqualTo(1);
				assertThat(instances.cache(instance, "quotes").getStatistics().coalesced() - coalescedBefore[instance])
					.isEqualTo(CALLERS - 1);
			});
		}
		gate.countDown();
		List<String> values = new ArrayList<>();
		for (Future<String> result : results) {
			values.add(result.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
		}
		assertThat(Quotes.executions("quotes", key)).as("executions on all instances").isEqualTo(1);
		assertThat(values).hasSize(instances.size() * CALLERS).containsOnly(values.get(0));
	}

	/**
	 * A remote cache: B and C read A's value from Redis without running the method; an
	 * invalidation on A reaches B and C, and the next value one of them loads is the one the
	 * others read.
	 */
	@Test
	void anInstanceReadsWhatAnotherLoadedAndAnInvalidationReachesEveryInstance() {
		String key = "shared";
		String first = quotes(A).quote(key);
		long hitsBefore = instances.engine(B, "quotes").getRemoteStatistics().hits();
		assertThat(quotes(B).quote(key)).isEqualTo(first);
		assertThat(quotes(C).quote(key)).isEqualTo(first);
		assertThat(Quotes.executions("quotes", key)).isEqualTo(1);
		assertThat(instances.engine(B, "quotes").getRemoteStatistics().hits()).isEqualTo(hitsBefore + 1);

		quotes(A).invalidate(key);
		for (int i : new int[] { B, C }) {
			await().until(() -> !instances.cache(i, "quotes").contains(key));
		}
		String second = quotes(B).quote(key);
		assertThat(second).isNotEqualTo(first);
		assertThat(quotes(C).quote(key)).isEqualTo(second);
		assertThat(quotes(A).quote(key)).isEqualTo(second);
		assertThat(Quotes.executions("quotes", key)).isEqualTo(2);
	}

	/** A local cache: an invalidation on A reaches B and C, each loads again. */
	@Test
	void anInvalidationOfALocalCacheReachesEveryInstance() {
		String key = "local";
		List<String> before = new ArrayList<>();
		for (int i = 0; i < instances.size(); i++) {
			before.add(quotes(i).local(key));
		}
		instances.cache(A, "local").invalidate(key);
		for (int i : new int[] { B, C }) {
			await().until(() -> !instances.cache(i, "local").contains(key));
			assertThat(quotes(i).local(key)).isNotIn(before);
		}
	}

	/**
	 * A clear on A empties every instance's store and Redis: each key is loaded once again,
	 * by whichever instance asks first, and the others read that value.
	 */
	@Test
	void aClearReachesEveryInstanceAndRedis() {
		List<String> keys = List.of("c1", "c2", "c3", "c4", "c5", "c6");
		Map<String, String> first = new LinkedHashMap<>();
		for (String key : keys) {
			first.put(key, quotes(A).cleared(key));
			assertThat(quotes(B).cleared(key)).isEqualTo(first.get(key));
			assertThat(quotes(C).cleared(key)).isEqualTo(first.get(key));
		}
		instances.cache(A, "cleared").invalidateAll();
		for (int i : new int[] { B, C }) {
			for (String key : keys) {
				await().until(() -> !instances.cache(i, "cleared").contains(key));
			}
		}
		for (String key : keys) {
			String again = quotes(C).cleared(key);
			assertThat(again).as("loaded again after the clear").isNotEqualTo(first.get(key));
			assertThat(quotes(A).cleared(key)).as("A reads C's value").isEqualTo(again);
			assertThat(quotes(B).cleared(key)).as("B reads C's value").isEqualTo(again);
			assertThat(Quotes.executions("cleared", key)).isEqualTo(2);
		}
	}

	/**
	 * {@code @CachedAll}: A loads some users one at a time, B asks for them and more in one
	 * bulk call: only the others are loaded, and C's bulk call of all of them runs nothing.
	 */
	@Test
	void aBulkCallReadsWhatOthersLoadedAndLoadsTheRestOnce() {
		List<Long> single = List.of(1L, 2L, 3L, 4L);
		for (long id : single) {
			quotes(A).user(id);
		}
		List<Long> all = new ArrayList<>();
		for (long id = 1; id <= 20; id++) {
			all.add(id);
		}
		Map<Long, String> fromB = quotes(B).users(all);
		assertThat(fromB).containsOnlyKeys(all);
		assertThat(Quotes.bulkLoaded).as("ids loaded by bulk calls").hasSize(16).doesNotContainAnyElementsOf(single);
		Map<Long, String> fromC = quotes(C).users(all);
		assertThat(fromC).isEqualTo(fromB);
		assertThat(Quotes.bulkLoaded).as("ids loaded by bulk calls").hasSize(16);
		for (long id : all) {
			assertThat(Quotes.executions("users", String.valueOf(id))).as("executions of %s", id).isEqualTo(1);
		}
	}

	/**
	 * The entries of one cache spread over the cluster: 10,000 users loaded by one bulk call
	 * are held by every primary, each about a third (the issue's measure), and no other key
	 * of the cache (a lease) is left behind.
	 */
	@Test
	void theEntriesOfOneCacheSpreadOverEveryPrimary() {
		List<Long> ids = new ArrayList<>();
		for (long id = 100_001; id <= 110_000; id++) {
			ids.add(id);
		}
		assertThat(quotes(A).spread(ids)).hasSize(ids.size());
		String entries = Instances.PREFIX + "{" + RedisKeyLayout.cacheId("spread") + ".*}:*:*";
		List<Integer> perPrimary = new ArrayList<>();
		for (RedisServer primary : cluster.primaries()) {
			List<String> held = primary.keys(entries);
			assertThat(held).as("leases left on %s", primary).noneMatch((key) -> key.contains(":lease:"));
			perPrimary.add(held.size());
		}
		System.out.println("ManyInstancesClusterTests: 10,000 entries of one cache per primary: " + perPrimary);
		assertThat(perPrimary.stream().mapToInt(Integer::intValue).sum()).isEqualTo(ids.size());
		assertThat(perPrimary).as("entries per primary").allSatisfy((held) -> assertThat(held).isBetween(2_500, 4_200));
		assertThat(quotes(B).spread(ids)).as("read from every primary by another instance").hasSize(ids.size());
		assertThat(Quotes.executions("spread", "105000")).isEqualTo(1);
	}

	private static Quotes quotes(int instance) {
		return instances.bean(instance, Quotes.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Quotes quotes() {
			return new Quotes();
		}

	}

	/**
	 * Remote caches ({@code quotes}, {@code cleared}, {@code users}) and a local one
	 * ({@code local}); every execution, on any instance, makes a value of its own and is
	 * counted across the instances.
	 */
	public static class Quotes {

		static final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		static final List<Long> bulkLoaded = new CopyOnWriteArrayList<>();

		static CountDownLatch close(String key) {
			return gates.computeIfAbsent(key, (k) -> new CountDownLatch(1));
		}

		static int executions(String cache, String key) {
			AtomicInteger count = loads.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		private static String load(String cache, String key) {
			return key + "#" + loads.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		@Cached(name = "quotes")
		public String quote(String key) {
			CountDownLatch gate = gates.get(key);
			if (gate != null) {
				try {
					gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException(ex);
				}
			}
			return load("quotes", key);
		}

		@CacheInvalidate(name = "quotes")
		public void invalidate(String key) {
		}

		@Cached(name = "local")
		public String local(String key) {
			return load("local", key);
		}

		@Cached(name = "cleared")
		public String cleared(String key) {
			return load("cleared", key);
		}

		@Cached(name = "users")
		public String user(long id) {
			return load("users", String.valueOf(id));
		}

		@CachedAll(name = "spread")
		public Map<Long, String> spread(Collection<Long> ids) {
			Map<Long, String> values = new LinkedHashMap<>();
			for (long id : ids) {
				values.put(id, load("spread", String.valueOf(id)));
			}
			return values;
		}

		@CachedAll(name = "users")
		public Map<Long, String> users(Collection<Long> ids) {
			Map<Long, String> users = new LinkedHashMap<>();
			for (long id : new ArrayList<>(ids)) {
				bulkLoaded.add(id);
				users.put(id, load("users", String.valueOf(id)));
			}
			return users;
		}

	}

}
