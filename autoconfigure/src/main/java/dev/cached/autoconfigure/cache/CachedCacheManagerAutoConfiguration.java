package dev.cached.autoconfigure.cache;

import dev.cached.actuate.cache.CachedCacheManager;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.cache.actuate.endpoint.CachesEndpoint;
import org.springframework.cache.CacheManager;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of a {@link CachedCacheManager}, a Spring {@link CacheManager} view
 * over the {@code @Cached} caches, so that Spring Boot's {@code caches} endpoint lists
 * them (under the cache manager {@code cachedCacheManager}). Only there when that endpoint
 * is available.
 * <p>
 * The view is not a default candidate: injecting a {@code CacheManager} by type, Spring's
 * {@code @Cacheable} and Spring Boot's cache auto-configuration (which backs off when the
 * application has a cache manager of its own) never see it. Spring Boot's endpoint and
 * cache metrics still find it, as they look at every autowire candidate; no cache meter
 * binder applies to its caches, so the meters of {@code @Cached} caches are bound once,
 * by the starter.
 */
@AutoConfiguration(after = CachedAutoConfiguration.class,
		afterName = "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration")
@ConditionalOnClass({ CacheManager.class, CachesEndpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnAvailableEndpoint(CachesEndpoint.class)
@ConditionalOnBean(CacheRegistry.class)
public final class CachedCacheManagerAutoConfiguration {

	@Bean(defaultCandidate = false)
	@ConditionalOnMissingBean(name = "cachedCacheManager")
	CachedCacheManager cachedCacheManager(CacheRegistry cacheRegistry) {
		return new CachedCacheManager(cacheRegistry);
	}

}
