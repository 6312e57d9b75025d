package dev.cached.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.CachedCaches;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.key.CacheKey;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;
import dev.cached.testing.redis.RedisServerExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several instances of one application on one Redis, each a Spring Boot application
 * context of its own (as several JVMs would be), started with the Redis tier on and the
 * same arguments; they are running once every instance listens to the others'
 * invalidations. Either:
 * <ul>
 * <li>{@link #start started} at once on a Redis the caller owns, and closed by the caller;
 * <li>or, for a test class whose tests share them, {@link #perClass} in a {@code static}
 * field registered as a JUnit extension: before the class's first test it starts a
 * {@code redis-server} of the class's own and the instances on it; after its last it
 * closes both.
 * </ul>
 * Or {@link #start(RedisSentinelSetup, Class, int, String...) started} on a Sentinel setup
 * or {@link #start(RedisCluster, Class, int, String...) on a Redis Cluster}, configured as
 * an application is ({@link RedisSetup}).
 * <pre class="code">
 * &#64;RegisterExtension
 * static final Instances instances = Instances.perClass(Application.class, 2, "--cached.defaults.remote=true");
 *
 * private static final RedisServer redis = instances.redis();
 * </pre>
 */
final class Instances implements AutoCloseable, BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

	private static final AtomicLong markers = new AtomicLong();

	/** Where the instances find Redis. */
	private final RedisSetup setup;

	/** The Redis of a {@link #perClass} group, started and closed with it; else {@code null}. */
	private final @Nullable RedisServerExtension ownRedis;

	private final Class<?> application;

	private final WebApplicationType[] types;

	private final String[] args;

	private final String keyPrefix;

	/** Written by the start (JUnit's thread, or the caller's), read by the tests after it. */
	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	/**
	 * How many test classes use {@link #perClass} instances now: 1 for a class, more for the
	 * {@code @Nested} classes inside it. Written and read by JUnit's thread for the class.
	 */
	private int classes;

	private Instances(RedisSetup setup, @Nullable RedisServerExtension ownRedis, Class<?> application,
			WebApplicationType[] types, String[] args) {
		this.setup = setup;
		this.ownRedis = ownRedis;
		this.application = application;
		this.types = types.clone();
		this.args = args.clone();
		String prefix = "cached:";
		for (String arg : args) {
			if (arg.startsWith("--cached.redis.key-prefix=")) {
				prefix = arg.substring("--cached.redis.key-prefix=".length());
			}
		}
		this.keyPrefix = prefix;
	}

	/**
	 * Start {@code count} instances without a web server.
	 * @param redis the Redis they share
	 * @param application the application's configuration class
	 * @param count how many instances
	 * @param args further arguments of every instance, e.g. cache settings
	 * @return the running instances
	 */
	static Instances start(RedisServer redis, Class<?> application, int count, String... args) {
		return start(redis, application, withoutWebServer(count), args);
	}

	/**
	 * Start {@code count} instances without a web server on a Sentinel setup, configured
	 * with {@code spring.data.redis.sentinel.master} and {@code .nodes} only.
	 * @param sentinel the setup they share; {@link #redis()} is its primary of the moment
	 * @param application the application's configuration class
	 * @param count how many instances
	 * @param args further arguments of every instance, e.g. cache settings
	 * @return the running instances
	 */
	static Instances start(RedisSentinelSetup sentinel, Class<?> application, int count, String... args) {
		Instances instances = new Instances(RedisSetup.of(sentinel), null, application, withoutWebServer(count), args);
		instances.launch();
		return instances;
	}

	/**
	 * Start {@code count} instances without a web server on a Redis Cluster, configured
	 * with its nodes and the docs' topology refresh ({@link RedisSetup#of(RedisCluster)}).
	 * @param cluster the cluster they share; {@link #redis()} is its first node
	 * @param application the application's configuration class
	 * @param count how many instances
	 * @param args further arguments of every instance, e.g. cache settings
	 * @return the running instances
	 */
	static Instances start(RedisCluster cluster, Class<?> application, int count, String... args) {
		Instances instances = new Instances(RedisSetup.of(cluster), null, application, withoutWebServer(count), args);
		instances.launch();
		return instances;
	}

	/**
	 * Start one instance of each web application type.
	 * @param redis the Redis they share
	 * @param application the application's configuration class
	 * @param types the type of each instance, e.g. a servlet one with a web server
	 * @param args further arguments of every instance, e.g. cache settings
	 * @return the running instances
	 */
	static Instances start(RedisServer redis, Class<?> application, WebApplicationType[] types, String... args) {
		Instances instances = new Instances(RedisSetup.of(redis), null, application, types, args);
		instances.launch();
		return instances;
	}

	/**
	 * Return {@code count} instances without a web server, on a {@code redis-server} of
	 * their own, that JUnit starts before a test class's first test and closes after its
	 * last: register them in a {@code static} field with {@code @RegisterExtension}.
	 * @param application the application's configuration class
	 * @param count how many instances
	 * @param args further arguments of every instance, e.g. cache settings
	 * @return the instances, not started yet
	 */
	static Instances perClass(Class<?> application, int count, String... args) {
		return perClass(application, withoutWebServer(count), args);
	}

	/**
	 * Return one instance of each web application type, on a {@code redis-server} of their
	 * own, that JUnit starts before a test class's first test and closes after its last:
	 * register them in a {@code static} field with {@code @RegisterExtension}.
	 * @param application the application's configuration class
	 * @param types the type of each instance, e.g. a servlet one with a web server
	 * @param args further arguments of every instance, e.g. cache settings
	 * @return the instances, not started yet
	 */
	static Instances perClass(Class<?> application, WebApplicationType[] types, String... args) {
		RedisServerExtension redis = new RedisServerExtension();
		return new Instances(RedisSetup.of(redis.server()), redis, application, types, args);
	}

	private static WebApplicationType[] withoutWebServer(int count) {
		WebApplicationType[] types = new WebApplicationType[count];
		Arrays.fill(types, WebApplicationType.NONE);
		return types;
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		// a @Nested class runs these callbacks again: the enclosing class's instances serve it
		if (this.classes++ == 0) {
			ownRedis().beforeAll(context);
			launch();
		}
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		if (this.classes == 0) {
			throw new IllegalStateException(
					"Instances.perClass(...) start before a test class's first test: register them in a static field");
		}
	}

	@Override
	public void afterAll(ExtensionContext context) {
		if (--this.classes == 0) {
			try {
				close();
			}
			finally {
				ownRedis().afterAll(context);
			}
		}
	}

	/**
	 * Return the Redis the instances share.
	 * @return the Redis; for {@link #perClass} instances, running from the class's start on
	 */
	RedisServer redis() {
		return this.setup.redis();
	}

	private RedisServerExtension ownRedis() {
		if (this.ownRedis == null) {
			throw new IllegalStateException(
					"Instances.start(...) are started and closed by the caller: register Instances.perClass(...) instead");
		}
		return this.ownRedis;
	}

	private void launch() {
		long subscribedBefore = subscribers();
		try {
			for (WebApplicationType type : this.types) {
				List<String> all = new ArrayList<>(this.setup.arguments());
				all.addAll(List.of("--cached.redis.enabled=true", "--spring.main.banner-mode=off",
						"--spring.jmx.enabled=false"));
				if (Arrays.stream(this.args).noneMatch((arg) -> arg.startsWith("--cached.redis.timeout="))) {
					// generous: a loaded test machine must not look like a Redis outage; a test that
					// waits for an outage sets a shorter one (the same option twice would be a list)
					all.add("--cached.redis.timeout=5s");
				}
				all.addAll(Arrays.asList(this.args));
				this.contexts
					.add(new SpringApplicationBuilder(this.application).web(type).run(all.toArray(new String[0])));
			}
			// each instance subscribes in the background: wait until all of them listen
			Awaits.await().until(() -> subscribers() - subscribedBefore == this.types.length);
		}
		catch (RuntimeException | Error ex) {
			close();
			throw ex;
		}
	}

	/** How many subscriptions the instances' channel has now (on a cluster, on every node that answers). */
	long subscribers() {
		return this.setup.subscribers(this.keyPrefix + "events");
	}

	int size() {
		return this.contexts.size();
	}

	ConfigurableApplicationContext context(int instance) {
		return this.contexts.get(instance);
	}

	<T> T bean(int instance, Class<T> type) {
		return context(instance).getBean(type);
	}

	/**
	 * Return one instance's view of a cache, through the public API.
	 * @param instance the instance
	 * @param name the cache name
	 * @return the cache
	 */
	CachedCaches.Cache cache(int instance, String name) {
		return bean(instance, CachedCaches.class).getCache(name);
	}

	/**
	 * Return one instance's cache itself, for what only the engine shows (loads in flight).
	 * @param instance the instance
	 * @param name the cache name
	 * @return the cache
	 */
	CachedCache engine(int instance, String name) {
		CachedCache cache = bean(instance, CacheRegistry.class).getCache(name);
		assertThat(cache).as("cache %s", name).isNotNull();
		return cache;
	}

	/**
	 * Return the count of a counter (or function counter) of one instance.
	 * @param instance the instance
	 * @param meter the meter name
	 * @param cache the cache name
	 * @param tags further tags, as key, value pairs
	 * @return the count
	 */
	double count(int instance, String meter, String cache, String... tags) {
		RequiredSearch search = bean(instance, MeterRegistry.class).get(meter).tag("cache", cache).tags(tags);
		return search.meter().measure().iterator().next().getValue();
	}

	/**
	 * Wait until every other instance has received every message that instance
	 * {@code from} published so far: {@code from} invalidates a marker key of
	 * {@code cacheName} that every other instance holds, and the others receive its
	 * messages in the order it sent them, on the one channel.
	 * @param from the instance that published
	 * @param cacheName a cache of every instance
	 */
	void awaitDelivered(int from, String cacheName) {
		Object marker = CacheKey.ofValue("marker-" + markers.incrementAndGet());
		for (int i = 0; i < size(); i++) {
			if (i != from) {
				// into the store only: a put through the cache would be sent to the others
				engine(i, cacheName).putLocally(marker, "marker");
			}
		}
		cache(from, cacheName).invalidate(marker);
		for (int i = 0; i < size(); i++) {
			if (i != from) {
				CachedCache cache = engine(i, cacheName);
				Awaits.await().until(() -> cache.peek(marker) == null);
			}
		}
	}

	@Override
	public void close() {
		for (ConfigurableApplicationContext context : this.contexts) {
			context.close();
		}
		this.contexts.clear();
	}

	/** The Redis key of a remote cache's entry (default prefix), in the first generation. */
	static String entry(String cache, Object key) {
		return RedisKeyLayout.entry(PREFIX, cache, 0, dev.cached.key.StableKeys.encode(key));
	}

	/** The Redis key of a remote cache's entry (default prefix), in the cache's current generation. */
	static String entry(RedisServer redis, String cache, Object key) {
		return RedisKeyLayout.entry(PREFIX, cache, generation(redis, cache), dev.cached.key.StableKeys.encode(key));
	}

	/** The Redis key of the lease on a remote cache's key (default prefix), in the current generation. */
	static String lease(RedisServer redis, String cache, Object key) {
		return RedisKeyLayout.lease(PREFIX, cache, generation(redis, cache), dev.cached.key.StableKeys.encode(key));
	}

	/** Return the current generation of a cache's entries in Redis, under the default prefix. */
	static long generation(RedisServer redis, String cache) {
		Object g = redis.command("HGET", meta(cache), "g");
		return (g != null) ? Long.parseLong((String) g) : 0;
	}

	/** The Redis key of the lease on a remote cache's key (default prefix), in the first generation. */
	static String lease(String cache, Object key) {
		return RedisKeyLayout.lease(PREFIX, cache, 0, dev.cached.key.StableKeys.encode(key));
	}

	/** Return the Redis key of a cache's meta hash under the default prefix. */
	static String meta(String cache) {
		return RedisKeyLayout.meta(PREFIX, cache);
	}

	/** Return the Redis key of the meta hash of a key's bucket under the default prefix. */
	static String bucketMeta(String cache, Object key) {
		return RedisKeyLayout.bucketMeta(PREFIX, cache, dev.cached.key.StableKeys.encode(key));
	}

	/** A {@code KEYS} pattern of every entry, lease and bucket meta hash of a cache (default prefix). */
	static String keysOf(String cache) {
		return RedisKeyLayout.bucketsPattern(PREFIX, cache);
	}

	/**
	 * A {@code KEYS} pattern of a cache's entries and leases (default prefix).
	 * @param cache the cache name
	 * @param generation the generation, or a pattern of it
	 * @param key the key's stable form, or a pattern of it
	 * @return the pattern
	 */
	static String pattern(String cache, String generation, String key) {
		return PREFIX + "{" + RedisKeyLayout.cacheId(cache) + ".*}:" + generation + ":" + key;
	}

	/** The default key prefix. */
	static final String PREFIX = "cached:";

}
