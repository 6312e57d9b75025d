package dev.cached.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.engine.CachedCache;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @CachedAll} on a remote cache across three instances: the missing elements are
 * read from Redis and their leases taken in one script, the values written in one more
 * (counted with Redis' {@code INFO commandstats}); each element is loaded once across the
 * cluster however the bulk requests overlap; an element invalidated anywhere while it
 * loads is not written.
 */
class RedisBulkTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int C = 2;

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 3, "--cached.defaults.remote=true",
			"--cached.defaults.ttl=10m", "--cached.redis.max-staleness=1h",
			// the scripts are counted: a busy machine must not be taken for a slow Redis
			"--cached.redis.timeout=5s");

	private static final RedisServer redis = instances.redis();

	private ExecutorService executor;

	@BeforeEach
	void clear() {
		Users.executions.clear();
		Users.received.clear();
	}

	@AfterEach
	void openGates() {
		Users.gates.values().forEach(CountDownLatch::countDown);
		Users.gates.clear();
		if (this.executor != null) {
			this.executor.shutdownNow();
		}
	}

	@Test
	void aBulkCallTakesOneRoundTripToReadAndLeaseAndOneToWrite() {
		List<Long> ids = LongStream.rangeClosed(101, 110).boxed().toList();
		resetWhenQuiet();
		assertThat(users(A).findUsers(ids)).hasSize(10);
		assertThat(scripts()).as("scripts run for a cold bulk call of 10").isEqualTo(2);
		assertThat(Users.received).containsExactly(ids);
		// another instance reads all ten from Redis in one round trip, and runs nothing
		resetWhenQuiet();
		assertThat(users(B).findUsers(ids).keySet()).containsExactlyElementsOf(ids);
		assertThat(scripts()).as("scripts run for a warm bulk call of 10").isEqualTo(1);
		assertThat(Users.received).hasSize(1);
		assertThat(users(C).findUser(105)).isEqualTo(new User(105, "user 105"));
		assertThat(Users.executions.get(105L)).hasValue(1);
		assertThat(redis.keys(Instances.lease(redis, "users", 101L))).isEmpty();
		// the same number of ids one at a time: a read and a write each (20 today)
		resetWhenQuiet();
		for (long id = 111; id <= 120; id++) {
			users(C).findUser(id);
		}
		assertThat(scripts()).as("scripts run for 10 cold one-at-a-time calls").isGreaterThanOrEqualTo(10);
	}

	@Test
	void anAsynchronousBulkCallTakesTheSameRoundTrips() throws Exception {
		List<Long> ids = LongStream.rangeClosed(201, 210).boxed().toList();
		resetWhenQuiet();
		assertThat(get(users(A).findUsersAsync(ids)).keySet()).containsExactlyElementsOf(ids);
		// the write is sent when the method's future completes, and the caller's future does not
		// wait for its reply: wait until Redis ran it, then count exactly
		await().until(() -> scripts() >= 2);
		assertThat(scripts()).as("scripts run for a cold asynchronous bulk call of 10").isEqualTo(2);
		resetWhenQuiet();
		assertThat(get(users(B).findUsersAsync(ids))).hasSize(10);
		assertThat(scripts()).as("scripts run for a warm asynchronous bulk call of 10").isEqualTo(1);
		assertThat(Users.received).containsExactly(ids);
		assertThat(users(C).findUser(205)).isEqualTo(new User(205, "user 205"));
		assertThat(Users.received).hasSize(1);
	}

	@Test
	void overlappingBulkCallsOnThreeInstancesLoadEachElementOnce() throws Exception {
		CountDownLatch gate = Users.close(1L);
		this.executor = Executors.newFixedThreadPool(4);
		Future<Map<Long, User>> onA = this.executor.submit(() -> users(A).findUsers(List.of(1L, 2L, 3L)));
		await().until(() -> Users.received.size() == 1);
		// B loads 4 (its lease) and writes it, then waits for A's news of 2 and 3
		Future<Map<Long, User>> onB = this.executor.submit(() -> users(B).findUsers(List.of(2L, 3L, 4L)));
		await().until(() -> Users.received.size() == 2 && redis.get(Instances.entry("users", 4L)) != null);
		// C finds 4, loads 5, waits for 3; a single call on C joins C's load of 3
		Future<Map<Long, User>> onC = this.executor.submit(() -> users(C).findUsers(List.of(3L, 4L, 5L)));
		CachedCache cacheC = instances.engine(C, "users");
		await().until(() -> Users.received.size() == 3 && redis.get(Instances.entry("users", 5L)) != null);
		Future<User> single = this.executor.submit(() -> users(C).findUser(3));
		await().until(() -> cacheC.getStatistics().coalesced() == 1);
		gate.countDown();
		assertThat(get(onA).keySet()).containsExactly(1L, 2L, 3L);
		assertThat(get(onB).keySet()).containsExactly(2L, 3L, 4L);
		assertThat(get(onC).keySet()).containsExactly(3L, 4L, 5L);
		assertThat(get(single)).isEqualTo(new User(3, "user 3"));
		assertThat(Users.received).containsExactly(List.of(1L, 2L, 3L), List.of(4L), List.of(5L));
		for (long id = 1; id <= 5; id++) {
			assertThat(Users.executions.get(id)).as("executions of %s", id).hasValue(1);
			assertThat(redis.get(Instances.entry("users", id))).as("entry %s", id).isNotNull();
		}
	}

	@Test
	void anElementInvalidatedElsewhereWhileItLoadsIsNotWritten() throws Exception {
		CountDownLatch gate = Users.close(21L);
		this.executor = Executors.newSingleThreadExecutor();
		Future<Map<Long, User>> onA = this.executor.submit(() -> users(A).findUsers(List.of(21L, 22L)));
		await().until(() -> Users.received.size() == 1);
		users(B).evictUsers(List.of(21L));
		gate.countDown();
		assertThat(get(onA).keySet()).containsExactly(21L, 22L);
		assertThat(redis.get(Instances.entry("users", 21L))).isNull();
		assertThat(redis.get(Instances.entry("users", 22L))).isNotNull();
		assertThat(instances.engine(A, "users").peek(21L)).isNull();
		assertThat(instances.engine(A, "users").peek(22L)).isNotNull();
		assertThat(redis.keys(Instances.lease(redis, "users", 21L))).isEmpty();
	}

	/**
	 * Reset Redis' command statistics once no instance runs a script of its own (the
	 * instances' start, a previous test's leftovers): the statistics must stay at zero for
	 * 300 ms after a reset, or it is reset again.
	 */
	private static void resetWhenQuiet() {
		for (int attempt = 0; attempt < 30; attempt++) {
			redis.command("CONFIG", "RESETSTAT");
			try {
				await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> scripts() == 0);
				return;
			}
			catch (ConditionTimeoutException ex) {
				// a script ran meanwhile: wait for the next quiet moment
			}
		}
		throw new IllegalStateException("Redis never was quiet for 300 ms: " + redis.command("INFO", "commandstats"));
	}

	/** The EVAL and EVALSHA commands since the last {@code CONFIG RESETSTAT}. */
	private static long scripts() {
		long calls = 0;
		for (String line : ((String) redis.command("INFO", "commandstats")).split("\r?\n")) {
			if (line.startsWith("cmdstat_eval:") || line.startsWith("cmdstat_evalsha:")) {
				String stats = line.substring(line.indexOf(':') + 1);
				calls += Long.parseLong(stats.substring("calls=".length(), stats.indexOf(',')));
			}
		}
		return calls;
	}

	private static <T> T get(Future<T> future) throws Exception {
		return future.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
	}

	private static Users users(int instance) {
		return instances.bean(instance, Users.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Users users() {
			return new Users();
		}

	}

	public record User(long id, String name) {
	}

	/** The cached methods, counting executions per id across the instances of this JVM. */
	public static class Users {

		static final Map<Long, AtomicInteger> executions = new ConcurrentHashMap<>();

		static final List<List<Long>> received = new CopyOnWriteArrayList<>();

		static final Map<Long, CountDownLatch> gates = new ConcurrentHashMap<>();

		static CountDownLatch close(long id) {
			CountDownLatch gate = new CountDownLatch(1);
			gates.put(id, gate);
			return gate;
		}

		private static void executed(Collection<Long> ids) {
			received.add(List.copyOf(ids));
			for (long id : ids) {
				executions.computeIfAbsent(id, (key) -> new AtomicInteger()).incrementAndGet();
			}
			for (long id : ids) {
				CountDownLatch gate = gates.get(id);
				if (gate != null) {
					try {
						gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						throw new IllegalStateException(ex);
					}
				}
			}
		}

		@Cached(name = "users")
		public User findUser(long id) {
			executed(List.of(id));
			return new User(id, "user " + id);
		}

		@CachedAll(name = "users")
		public Map<Long, User> findUsers(Collection<Long> ids) {
			executed(ids);
			Map<Long, User> users = new LinkedHashMap<>();
			for (long id : new ArrayList<>(ids)) {
				users.put(id, new User(id, "user " + id));
			}
			return users;
		}

		@CachedAll(name = "users")
		public CompletableFuture<Map<Long, User>> findUsersAsync(Collection<Long> ids) {
			return CompletableFuture.supplyAsync(() -> findUsers(ids));
		}

		@CacheInvalidate(name = "users", elements = "#ids")
		public void evictUsers(Collection<Long> ids) {
		}

	}

}
