package dev.cached.metrics;

import dev.cached.engine.CacheRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

/**
 * Binds {@link CachedCacheMetrics} for every cache of a {@link CacheRegistry}: those that
 * exist when it is created and those created later, as soon as they are created, so that
 * every meter exists (at zero) before the first call. Like Spring Boot's
 * {@code CacheMetricsRegistrar}, it adds the tag {@code name=<cache name>} to the given
 * tags, so that every meter carries the tag keys of Boot's own cache meters.
 */
public final class CachedCacheMetricsRegistrar {

	private final MeterRegistry meterRegistry;

	private final Iterable<Tag> tags;

	/**
	 * Create a registrar and bind the meters of every cache of {@code cacheRegistry}, now
	 * and when later caches are created.
	 * @param cacheRegistry the caches
	 * @param meterRegistry where the meters go
	 * @param tags extra tags for every meter (besides {@code cache} and {@code name})
	 */
	public CachedCacheMetricsRegistrar(CacheRegistry cacheRegistry, MeterRegistry meterRegistry, Iterable<Tag> tags) {
		this.meterRegistry = meterRegistry;
		this.tags = tags;
		cacheRegistry.onCache((cache) -> CachedCacheMetrics.monitor(this.meterRegistry, cache,
				Tags.of(this.tags).and("name", cache.getName())));
	}

}
