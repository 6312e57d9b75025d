package dev.cached.actuate.cache;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;

import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/**
 * A Spring {@link CacheManager} view over the {@code @Cached} caches of a
 * {@link CacheRegistry}, so that tools written against Spring's cache abstraction (such
 * as Spring Boot's {@code caches} endpoint) see them. It creates no cache: only
 * {@code @Cached} methods do.
 */
public class CachedCacheManager implements CacheManager {

	private final CacheRegistry registry;

	private final Map<String, CachedSpringCache> views = new ConcurrentHashMap<>();

	/**
	 * Create a view over {@code registry}.
	 * @param registry the caches
	 */
	public CachedCacheManager(CacheRegistry registry) {
		this.registry = registry;
	}

	@Override
	public @Nullable Cache getCache(String name) {
		CachedCache cache = this.registry.getCache(name);
		return (cache != null) ? this.views.computeIfAbsent(name, (key) -> new CachedSpringCache(cache)) : null;
	}

	@Override
	public Collection<String> getCacheNames() {
		return this.registry.getCacheNames();
	}

}
