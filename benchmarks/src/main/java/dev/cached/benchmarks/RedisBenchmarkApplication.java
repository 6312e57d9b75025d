package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.List;

import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;
import dev.cached.autoconfigure.refresh.CachedRefreshAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;

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

	@Bean
	CachedService cachedService() {
		return new CachedService();
	}

	@Bean
	RemoteService remoteService() {
		return new RemoteService();
	}

	/**
	 * Start one instance on a Redis.
	 * @param port the Redis port (on {@value RedisProcess#HOST})
	 * @param args further properties, as {@code --name=value}
	 * @return the running instance
	 */
	static ConfigurableApplicationContext start(int port, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--logging.level.root=WARN",
				"--spring.jmx.enabled=false", "--spring.data.redis.host=" + RedisProcess.HOST,
				"--spring.data.redis.port=" + port, "--cached.redis.enabled=true",
				// generous: a busy two-core machine must not look like a Redis outage
				"--cached.redis.timeout=2s", "--cached.caches.[" + BY_ID_KEY_CACHE + "].remote=true",
				"--cached.caches.[" + RemoteService.SLOW_CACHE + "].remote=true",
				"--cached.caches.[" + RemoteService.PAYLOAD_CACHE + "].remote=true"));
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
