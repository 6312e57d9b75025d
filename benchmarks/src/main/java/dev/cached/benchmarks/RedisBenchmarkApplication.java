package dev.cached.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;
import dev.cached.autoconfigure.refresh.CachedRefreshAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisServer;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The application of the Redis benchmarks: the starter's auto-configuration with its
 * Redis tier on Boot's Lettuce connection factory (imported explicitly, as in
 * {@link BenchmarkApplication}), the {@link CachedService} of the hit benchmarks and the
 * {@link RemoteService}. {@link #start} runs one instance with the tier on and these caches
 * remote: {@code CachedService.byIdKey} (the hit benchmark's cache),
 * {@code RemoteService.slow} and {@code RemoteService.payload};
 * {@code RemoteService.localOnly} is not.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({ PropertyPlaceholderAutoConfiguration.class, AopAutoConfiguration.class,
		CachedAutoConfiguration.class, CachedRefreshAutoConfiguration.class, DataRedisAutoConfiguration.class,
		CachedRedisAutoConfiguration.class })
class RedisBenchmarkApplication {

	/** The cache of {@link CachedService#byIdKey(long)}. */
	static final String BY_ID_KEY_CACHE = "CachedService.byIdKey";

	/** The line printed when the Redis benchmarks are skipped. */
	static final String REDIS_MISSING = "redis-server not found (on the PATH or -Dbench.redis-server): "
			+ "the Redis benchmarks are skipped; install it (e.g. apt-get install redis-server) to run them";

	@Bean
	CachedService cachedService() {
		return new CachedService();
	}

	@Bean
	RemoteService remoteService() {
		return new RemoteService();
	}

	/**
	 * Return the {@code redis-server} binary of the benchmarks:
	 * {@code -Dbench.redis-server=PATH}, or {@code redis-server} on the {@code PATH}.
	 * @return the binary, or {@code null} if there is none (the Redis benchmarks are then
	 * skipped, see {@link #REDIS_MISSING})
	 */
	static @Nullable Path redisServerBinary() {
		String configured = System.getProperty("bench.redis-server");
		if (configured != null) {
			Path path = Path.of(configured);
			return Files.isExecutable(path) ? path : null;
		}
		return RedisServer.findExecutable();
	}

	/**
	 * Return what the binary says its version is.
	 * @return the version line, {@code none} without a binary, or what went wrong
	 */
	static String redisServerVersion() {
		Path binary = redisServerBinary();
		return (binary != null) ? RedisServer.version(binary) : "none";
	}

	/**
	 * Start a {@code redis-server} of the benchmarks' own on a free port of
	 * {@value RedisServer#HOST} (never 6379), without persistence, and wait until it
	 * answers {@code PING}; closing it stops it and deletes its data directory.
	 * @return the running server
	 * @throws IllegalStateException if there is no binary, or the server does not answer
	 * within 10 seconds
	 */
	static RedisServer startRedis() {
		Path binary = redisServerBinary();
		if (binary == null) {
			throw new IllegalStateException(REDIS_MISSING);
		}
		return RedisServer.builder().executable(binary).start();
	}

	/**
	 * Start one instance on a Redis.
	 * @param port the Redis port (on {@value RedisServer#HOST})
	 * @param args further properties, as {@code --name=value}; {@code cached.redis.enabled} is
	 * {@code true} and {@code cached.redis.timeout} is {@code 2s} unless they set them
	 * @return the running instance
	 */
	static ConfigurableApplicationContext start(int port, String... args) {
		return start(List.of("--spring.data.redis.host=" + RedisServer.HOST, "--spring.data.redis.port=" + port), args);
	}

	/**
	 * Start one instance on a Redis given by its properties.
	 * @param redis the properties that point it at Redis ({@link BenchmarkRedis#properties()})
	 * @param args further properties, as for {@link #start(int, String...)}
	 * @return the running instance
	 */
	static ConfigurableApplicationContext start(List<String> redis, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--logging.level.root=WARN",
				"--spring.jmx.enabled=false"));
		all.addAll(redis);
		all.addAll(List.of("--cached.caches.[" + BY_ID_KEY_CACHE + "].remote=true",
				"--cached.caches.[" + RemoteService.SLOW_CACHE + "].remote=true",
				"--cached.caches.[" + RemoteService.PAYLOAD_CACHE + "].remote=true"));
		if (List.of(args).stream().noneMatch((arg) -> arg.startsWith("--cached.redis.enabled="))) {
			all.add("--cached.redis.enabled=true");
		}
		if (List.of(args).stream().noneMatch((arg) -> arg.startsWith("--cached.redis.timeout="))) {
			// generous: a busy two-core machine must not look like a Redis outage
			all.add("--cached.redis.timeout=2s");
		}
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(RedisBenchmarkApplication.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.run(all.toArray(new String[0]));
	}

	/**
	 * Return an instance's cache, checked to be remote or not as expected.
	 * @param context the instance
	 * @param name the cache name
	 * @param remote whether the cache must keep its values in Redis
	 * @return the cache
	 * @throws IllegalStateException if there is no such cache, or it is not as expected
	 */
	static CachedCache cache(ConfigurableApplicationContext context, String name, boolean remote) {
		CachedCache cache = context.getBean(CacheRegistry.class).getCache(name);
		if (cache == null) {
			throw new IllegalStateException("Sanity check failed: no cache " + name + "; refusing to measure");
		}
		if (cache.isRemoteActive() != remote || cache.getRemote() == null) {
			throw new IllegalStateException("Sanity check failed: cache " + name + " is "
					+ (cache.isRemoteActive() ? "" : "not ") + "remote (tier attached: " + (cache.getRemote() != null)
					+ "); refusing to measure");
		}
		return cache;
	}

}
