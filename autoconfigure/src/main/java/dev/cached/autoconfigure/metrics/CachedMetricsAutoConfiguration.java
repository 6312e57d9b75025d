package dev.cached.autoconfigure.metrics;

import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.metrics.CachedCacheMetrics;
import dev.cached.metrics.CachedCacheMetricsRegistrar;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@link CachedCacheMetrics meters} of every {@code @Cached}
 * cache, bound to the application's {@link MeterRegistry} when the caches are created.
 * Each meter carries {@code cache=<name>}, {@code name=<name>} and
 * {@code cache.manager=cached}: the tag keys Spring Boot puts on the meters of its own
 * cache managers, so that both share every metric name without a clash.
 */
@AutoConfiguration(after = CachedAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ MeterRegistry.class, CacheRegistry.class })
public final class CachedMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CachedCacheMetricsRegistrar cachedCacheMetricsRegistrar(CacheRegistry cacheRegistry, MeterRegistry meterRegistry) {
		return new CachedCacheMetricsRegistrar(cacheRegistry, meterRegistry, Tags.of("cache.manager", "cached"));
	}

}
