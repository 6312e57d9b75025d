package dev.cached.autoconfigure;

import dev.cached.CachedCaches;
import dev.cached.engine.NoOpCachedCaches;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * With {@code cached.enabled=false}, a {@link CachedCaches} whose caches store nothing, so
 * that code using the programmatic API starts and runs unchanged.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "cached.enabled", havingValue = false)
public final class CachedDisabledAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CachedCaches cachedCaches() {
		return new NoOpCachedCaches();
	}

}
