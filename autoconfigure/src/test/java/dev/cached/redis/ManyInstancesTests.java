package dev.cached.redis;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invalidation everywhere: three instances of one application on one Redis, a cache that
 * stays local ({@code local}) and a remote one ({@code shared}). Every invalidation, clear
 * and put on one instance (annotation, {@link dev.cached.CachedCaches}, actuator
 * {@code DELETE} over HTTP) reaches the other two; an instance ignores its own messages;
 * a load in flight on another instance when the invalidation arrives follows G8 there.
 * Instance 0 runs a web server, 1 and 2 do not.
 */
class ManyInstancesTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int C = 2;

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class,
			new WebApplicationType[] { WebApplicationType.SERVLET, WebApplicationType.NONE, WebApplicationType.NONE },
			"--cached.caches.shared.remote=true", "--server.port=0",
			"--management.endpoints.web.exposure.include=cached");

	private static final RedisServer redis = instances.redis();

	@AfterEach
	void openGates() {
		Catalog.gates.values().forEach(CountDownLatch::countDown);
		Catalog.gates.clear();
	}

	@ParameterizedTest(name = "{0} cache")
	@ValueSource(strings = { "local", "shared" })
	void cacheInvalidateOnOneInstanceDropsTheKeyOnTheOthers(String cache) {
		String key = "annotation-" + cache;
		List<String> before = callEverywhere(cache, key);
		if (cache.equals("shared")) {
			// loaded once, the others read it from Redis
			assertThat(before).containsOnly(before.get(A));
			assertThat(executions(cache, key)).containsExactly(1, 0, 0);
		}
		else {
			assertThat(executions(cache, key)).containsExactly(1, 1, 1);
		}
		invalidate(A, cache, key);
		awaitDropped(cache, key, B, C);
		String afterB = get(B, cache, key);
		String afterC = get(C, cache, key);
		assertThat(afterB).isNotIn(before);
		assertThat(get(A, cache, key)).isNotIn(before);
		if (cache.equals("shared")) {
			// B loaded the new value for everyone
			assertThat(afterC).isEqualTo(afterB);
			assertThat(executions(cache, key)).containsExactly(1, 1, 0);
		}
		else {
			assertThat(afterC).isNotIn(before);
			assertThat(executions(cache, key)).containsExactly(2, 2, 2);
		}
	}

	@ParameterizedTest(name = "{0} cache")
	@ValueSource(strings = { "local", "shared" })
	void cachedCachesInvalidateOnOneInstanceDropsTheKeyOnTheOthers(String cache) {
		String key = "programmatic-" + cache;
		String other = "programmatic-other-" + cache;
		List<String> before = callEverywhere(cache, key);
		callEverywhere(cache, other);
		instances.cache(A, cache).invalidate(key);
		awaitDropped(cache, key, A, B, C);
		assertThat(instances.cache(B, cache).contains(other)).isTrue();
		assertThat(instances.cache(C, cache).contains(other)).isTrue();
		assertThat(get(B, cache, key)).isNotIn(before);
		assertThat(catalog(B).executions(cache, key)).isEqualTo(cache.equals("shared") ? 1 : 2);
	}

	@ParameterizedTest(name = "{0} cache")
	@ValueSource(strings = { "local", "shared" })
	void cachedCachesInvalidateAllOnOneInstanceClearsTheCacheOnTheOthers(String cache) {
		List<String> keys = List.of("clear-1-" + cache, "clear-2-" + cache);
		for (String key : keys) {
			callEverywhere(cache, key);
		}
		if (cache.equals("shared")) {
			assertThat(redis.keys(Instances.pattern("shared", "" + Instances.generation(redis, "shared"), "\"clear-*"))).hasSize(2);
		}
		instances.cache(A, cache).invalidateAll();
		for (String key : keys) {
			awaitDropped(cache, key, A, B, C);
		}
		// one step in Redis: the cache's entries are now those of a new generation, none yet
		assertThat(redis.keys(Instances.pattern(cache, "" + Instances.generation(redis, cache), "*"))).isEmpty();
		// and the older ones of a cache without a ttl are swept in the background
		await().untilAsserted(() -> assertThat(redis.keys(Instances.pattern(cache, "*", "\"clear-*"))).isEmpty());
		int executedBefore = catalog(C).executions(cache, keys.get(0));
		get(C, cache, keys.get(0));
		assertThat(catalog(C).executions(cache, keys.get(0))).isEqualTo(executedBefore + 1);
	}

	/**
	 * A put on a remote cache reaches Redis: another instance drops its copy and then
	 * reads the put value there, without running the method.
	 */
	@Test
	void cachePutOnOneInstanceIsWhatTheOthersReadFromARemoteCache() {
		String key = "put-shared";
		callEverywhere("shared", key);
		assertThat(executions("shared", key)).containsExactly(1, 0, 0);
		assertThat(put(A, "shared", key, "put on A")).isEqualTo("put on A");
		assertThat(redis.get(Instances.entry(redis, "shared", key))).asString().isEqualTo("\"put on A\"");
		awaitDropped("shared", key, B, C);
		assertThat(get(B, "shared", key)).isEqualTo("put on A");
		assertThat(get(C, "shared", key)).isEqualTo("put on A");
		assertThat(get(A, "shared", key)).isEqualTo("put on A");
		assertThat(executions("shared", key)).containsExactly(1, 0, 0);
	}

	/**
	 * A put on a local cache makes the other instances drop their copy, so that they load
	 * the current value again.
	 */
	@Test
	void cachePutOnOneInstanceDropsTheKeyOnTheOthersForALocalCache() {
		String key = "put-local";
		List<String> before = callEverywhere("local", key);
		put(A, "local", key, "put on A");
		awaitDropped("local", key, B, C);
		assertThat(get(A, "local", key)).isEqualTo("put on A");
		assertThat(get(B, "local", key)).isNotIn(before).isNotEqualTo("put on A");
		assertThat(executions("local", key)).containsExactly(1, 2, 1);
	}

	/**
	 * An instance does not apply its own messages: what it wrote locally right after its
	 * own invalidation or put stays. Ten keys in a row, so that one own message arriving
	 * after the write it would wrongly undo is all but certain.
	 */
	@ParameterizedTest(name = "{0} cache")
	@ValueSource(strings = { "local", "shared" })
	void anInstanceIgnoresItsOwnMessages(String cache) {
		List<String> reloaded = new ArrayList<>();
		List<String> put = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			String key = "own-" + cache + "-" + i;
			get(A, cache, key);
			invalidate(A, cache, key);
			reloaded.add(get(A, cache, key));
			String putKey = "own-put-" + cache + "-" + i;
			put.add(put(A, cache, putKey, "put " + i));
		}
		// B's message reaches A after every message A sent before it
		instances.awaitDelivered(B, cache);
		instances.awaitDelivered(C, cache);
		for (int i = 0; i < 10; i++) {
			String key = "own-" + cache + "-" + i;
			assertThat(instances.cache(A, cache).get(key)).isEqualTo(reloaded.get(i));
			assertThat(get(A, cache, key)).isEqualTo(reloaded.get(i));
			assertThat(catalog(A).executions(cache, key)).isEqualTo(2);
			String putKey = "own-put-" + cache + "-" + i;
			assertThat(instances.cache(A, cache).get(putKey)).isEqualTo(put.get(i));
			assertThat(get(A, cache, putKey)).isEqualTo("put " + i);
			assertThat(catalog(A).executions(cache, putKey)).isZero();
		}
	}

	/**
	 * A load running on B when A invalidates its key follows G8 on B: its callers get its
	 * value, but it is not stored (B's next call loads again) and, for a remote cache, not
	 * written to Redis either.
	 */
	@ParameterizedTest(name = "{0} cache")
	@ValueSource(strings = { "local", "shared" })
	void aLoadInFlightOnAnotherInstanceWhenTheKeyIsInvalidatedIsNotStored(String cache) throws Exception {
		String key = "in-flight-" + cache;
		CountDownLatch gate = Catalog.close(key);
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<String> first = executor.submit(() -> get(B, cache, key));
			await().until(() -> catalog(B).executions(cache, key) == 1);
			if (cache.equals("shared")) {
				assertThat(redis.keys(Instances.lease(redis, cache, key))).hasSize(1);
			}
			invalidate(A, cache, key);
			// B has received the invalidation: the load is running still
			instances.awaitDelivered(A, cache);
			assertThat(first).isNotDone();
			gate.countDown();
			String value = first.get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(value).startsWith(key + "#");
			assertThat(instances.cache(B, cache).contains(key)).isFalse();
			assertThat(redis.keys(Instances.pattern(cache, "*", "*" + key + "*"))).isEmpty();
			String next = get(B, cache, key);
			assertThat(next).isNotEqualTo(value);
			assertThat(catalog(B).executions(cache, key)).isEqualTo(2);
		}
		finally {
			gate.countDown();
			executor.shutdownNow();
		}
	}

	/**
	 * {@code DELETE /actuator/cached/{name}} on the instance with a web server clears the
	 * cache on the others too.
	 */
	@ParameterizedTest(name = "{0} cache")
	@ValueSource(strings = { "local", "shared" })
	void actuatorDeleteOnOneInstanceClearsTheCacheOnTheOthers(String cache) throws Exception {
		String key = "actuator-" + cache;
		List<String> before = callEverywhere(cache, key);
		int port = ((WebServerApplicationContext) instances.context(A)).getWebServer().getPort();
		HttpResponse<String> response = http.send(
				HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/cached/" + cache))
					.DELETE()
					.timeout(Duration.ofSeconds(10))
					.build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isBetween(200, 204);
		awaitDropped(cache, key, A, B, C);
		assertThat(redis.keys(Instances.entry(redis, cache, key))).isEmpty();
		int executedBefore = catalog(B).executions(cache, key);
		assertThat(get(B, cache, key)).isNotIn(before);
		assertThat(catalog(B).executions(cache, key)).isEqualTo(executedBefore + 1);
	}

	private static List<String> callEverywhere(String cache, String key) {
		List<String> values = new ArrayList<>();
		for (int i = 0; i < instances.size(); i++) {
			values.add(get(i, cache, key));
		}
		for (int i = 0; i < instances.size(); i++) {
			assertThat(instances.cache(i, cache).contains(key)).as("instance %d holds %s", i, key).isTrue();
		}
		return values;
	}

	private static void awaitDropped(String cache, String key, int... others) {
		for (int instance : others) {
			await().untilAsserted(() -> assertThat(instances.cache(instance, cache).contains(key))
				.as("instance %d holds %s", instance, key)
				.isFalse());
		}
	}

	private static List<Integer> executions(String cache, String key) {
		List<Integer> executions = new ArrayList<>();
		for (int i = 0; i < instances.size(); i++) {
			executions.add(catalog(i).executions(cache, key));
		}
		return executions;
	}

	private static String get(int instance, String cache, String key) {
		try {
			return cache.equals("shared") ? catalog(instance).shared(key) : catalog(instance).local(key);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static void invalidate(int instance, String cache, String key) {
		if (cache.equals("shared")) {
			catalog(instance).invalidateShared(key);
		}
		else {
			catalog(instance).invalidateLocal(key);
		}
	}

	private static String put(int instance, String cache, String key, String value) {
		return cache.equals("shared") ? catalog(instance).putShared(key, value)
				: catalog(instance).putLocal(key, value);
	}

	private static Catalog catalog(int instance) {
		return instances.bean(instance, Catalog.class);
	}



	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Catalog catalog() {
			return new Catalog();
		}

	}

	/**
	 * The cached methods. Each execution returns a value no other execution, on any
	 * instance, returns; a load of a key whose gate is closed waits for it.
	 */
	public static class Catalog {

		static final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();

		private static final AtomicInteger values = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		static CountDownLatch close(String key) {
			CountDownLatch gate = new CountDownLatch(1);
			gates.put(key, gate);
			return gate;
		}

		@Cached(name = "local")
		public String local(String key) throws InterruptedException {
			return load("local", key);
		}

		@Cached(name = "shared")
		public String shared(String key) throws InterruptedException {
			return load("shared", key);
		}

		@CacheInvalidate(name = "local")
		public void invalidateLocal(String key) {
		}

		@CacheInvalidate(name = "shared")
		public void invalidateShared(String key) {
		}

		@CachePut(name = "local", key = "#key")
		public String putLocal(String key, String value) {
			return value;
		}

		@CachePut(name = "shared", key = "#key")
		public String putShared(String key, String value) {
			return value;
		}

		public int executions(String cache, String key) {
			AtomicInteger count = this.executions.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		private String load(String cache, String key) throws InterruptedException {
			this.executions.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
			CountDownLatch gate = gates.get(key);
			if (gate != null && !gate.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("gate of " + key + " not opened");
			}
			return key + "#" + values.incrementAndGet();
		}

	}

}
