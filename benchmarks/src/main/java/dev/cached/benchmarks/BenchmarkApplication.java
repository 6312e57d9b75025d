package dev.cached.benchmarks;

import com.github.benmanes.caffeine.cache.Caffeine;

import org.springframework.boot.SpringBootConfiguration;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.refresh.CachedRefreshAutoConfiguration;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.annotation.Bean;

/**
 * The one application every variant lives in: the starter's auto-configuration with
 * Boot's AOP auto-configuration (imported explicitly rather than scanned, so that each
 * JMH fork starts quickly), {@code @EnableCaching} on a {@link CaffeineCacheManager} for Spring's
 * {@code @Cacheable}, and the three services.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({ PropertyPlaceholderAutoConfiguration.class, AopAutoConfiguration.class,
		CachedAutoConfiguration.class, CachedRefreshAutoConfiguration.class })
@EnableCaching
class BenchmarkApplication {

	/** The maximum size of every cache of the time benchmarks, ours and Spring's. */
	static final int MAXIMUM_SIZE = 10_000;

	@Bean
	CachedService cachedService() {
		return new CachedService();
	}

	@Bean
	SpringCacheService springCacheService() {
		return new SpringCacheService();
	}

	@Bean
	PlainService plainService() {
		return new PlainService();
	}

	@Bean
	AsyncServices.Cached asyncCachedService() {
		return new AsyncServices.Cached();
	}

	@Bean
	AsyncServices.Spring asyncSpringCacheService() {
		return new AsyncServices.Spring();
	}

	/** Spring's cache manager for {@code CompletableFuture} and {@code Mono} methods. */
	@Bean(defaultCandidate = false)
	CaffeineCacheManager asyncCacheManager() {
		CaffeineCacheManager cacheManager = new CaffeineCacheManager();
		cacheManager.setCaffeine(Caffeine.newBuilder().maximumSize(MAXIMUM_SIZE));
		cacheManager.setAsyncCacheMode(true);
		return cacheManager;
	}

	@Bean
	CaffeineCacheManager cacheManager() {
		CaffeineCacheManager cacheManager = new CaffeineCacheManager();
		cacheManager.setCaffeine(Caffeine.newBuilder().maximumSize(MAXIMUM_SIZE));
		return cacheManager;
	}

}
