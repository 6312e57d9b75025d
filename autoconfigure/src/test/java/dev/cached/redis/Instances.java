package dev.cached.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.CachedCaches;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.key.CacheKey;
import dev.cached.testing.Awaits;
import dev.cached.testing.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several instances of one application on one Redis, each a Spring Boot application
 * context of its own (as several JVMs would be), started with the Redis tier on and the
 * same arguments. {@link #start} returns once every instance listens to the others'
 * invalidations.
 */
final class Instances implements AutoCloseable {

	private static final AtomicLong markers = new AtomicLong();

	private final RedisServer redis;

	private final String keyPrefix;

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	private Instances(RedisServer redis, String keyPrefix) {
		this.redis = redis;
		this.keyPrefix = keyPrefix;
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
		WebApplicationType[] types = new WebApplicationType[count];
		Arrays.fill(types, WebApplicationType.NONE);
		return start(redis, application, types, args);
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
		String keyPrefix = "cached:";
		for (String arg : args) {
			if (arg.startsWith("--cached.redis.key-prefix=")) {
				keyPrefix = arg.substring("--cached.redis.key-prefix=".length());
			}
		}
		Instances instances = new Instances(redis, keyPrefix);
		long subscribedBefore = instances.subscribers();
		try {
			for (WebApplicationType type : types) {
				List<String> all = new ArrayList<>(List.of("--cached.redis.enabled=true",
						"--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port(),
						// generous: a loaded test machine must not look like a Redis outage
						"--cached.redis.timeout=5s", "--spring.main.banner-mode=off", "--spring.jmx.enabled=false"));
				all.addAll(Arrays.asList(args));
				instances.contexts
					.add(new SpringApplicationBuilder(application).web(type).run(all.toArray(new String[0])));
			}
			// each instance subscribes in the background: wait until all of them listen
			Awaits.await().until(() -> instances.subscribers() - subscribedBefore == types.length);
		}
		catch (RuntimeException | Error ex) {
			instances.close();
			throw ex;
		}
		return instances;
	}

	private long subscribers() {
		List<?> reply = (List<?>) this.redis.command("PUBSUB", "NUMSUB", this.keyPrefix + "events");
		return (Long) reply.get(1);
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
				// straight into the store: a put through the cache would be sent to the others
				engine(i, cacheName).getNativeCache().put(marker, "marker");
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
	}

	/**
	 * Return the Redis key of a remote cache's entry under the default prefix.
	 * @param cache the cache name
	 * @param key the cache key
	 * @return the Redis key
	 */
	static String entry(String cache, Object key) {
		return "cached:{" + cache + "}:" + dev.cached.key.StableKeys.encode(key);
	}

	/**
	 * Return the Redis key of the lease on a remote cache's key under the default prefix.
	 * @param cache the cache name
	 * @param key the cache key
	 * @return the Redis key
	 */
	static String lease(String cache, Object key) {
		return "cached:{" + cache + "}:lease:" + dev.cached.key.StableKeys.encode(key);
	}

}
