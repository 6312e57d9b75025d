package dev.cached.benchmarks;

import com.github.benmanes.caffeine.cache.Caffeine;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.annotation.Bean;

/**
 * The one application every variant lives in: Boot's auto-configuration (with the
 * starter's), {@code @EnableCaching} on a {@link CaffeineCacheManager} for Spring's
 * {@code @Cacheable}, and the three services.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
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
	CaffeineCacheManager cacheManager() {
		CaffeineCacheManager cacheManager = new CaffeineCacheManager();
		cacheManager.setCaffeine(Caffeine.newBuilder().maximumSize(MAXIMUM_SIZE));
		return cacheManager;
	}

}
