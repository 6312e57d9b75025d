package dev.cached.benchmarks;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;

import org.springframework.boot.SpringBootConfiguration;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.refresh.CachedRefreshAutoConfiguration;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
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

	/**
	 * Where Caffeine runs its maintenance (eviction, buffer draining) for the caches of the
	 * miss benchmarks, {@code @Cached}'s and raw Caffeine's alike:
	 * {@code ForkJoinPool.commonPool()}, what the starter uses and Caffeine's default, or,
	 * with {@code -Dbench.maintenance=caller}, the calling thread ({@code Runnable::run}),
	 * a diagnostic setting that takes the common pool's scheduling out of the measurement.
	 * @return the executor
	 */
	static Executor maintenanceExecutor() {
		String maintenance = System.getProperty("bench.maintenance", "pool");
		return switch (maintenance) {
			case "pool" -> ForkJoinPool.commonPool();
			case "caller" -> Runnable::run;
			default -> throw new IllegalArgumentException(
					"-Dbench.maintenance: unknown value '" + maintenance + "' (pool or caller)");
		};
	}

	/**
	 * The starter's registry as its auto-configuration builds it (no per-cache settings
	 * but the heap harness's maximum size), with Caffeine's maintenance on the calling
	 * thread: only with {@code -Dbench.maintenance=caller} (see
	 * {@link #maintenanceExecutor()}).
	 */
	@Bean
	@ConditionalOnProperty(name = "bench.maintenance", havingValue = "caller")
	CacheRegistry cachedCacheRegistry() {
		CacheSpec heap = new CacheSpec(null, (long) BenchmarkContext.HEAP_CACHE_SIZE, null, null);
		return new CacheRegistry((name) -> name.equals("CachedService.entry") ? heap : CacheSpec.NONE, CacheSpec.NONE,
				Ticker.systemTicker(), maintenanceExecutor());
	}

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
