package dev.cached.autoconfigure.endpoint;

import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.actuate.endpoint.CachedEndpointWebExtension;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@link CachedEndpoint}. Like every actuator endpoint, it is
 * only there when exposed, e.g. {@code management.endpoints.web.exposure.include=cached}.
 */
@AutoConfiguration(after = CachedAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
@ConditionalOnAvailableEndpoint(CachedEndpoint.class)
@ConditionalOnBean(CacheRegistry.class)
public final class CachedEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CachedEndpoint cachedEndpoint(CacheRegistry cacheRegistry) {
		return new CachedEndpoint(cacheRegistry);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(CachedEndpoint.class)
	@ConditionalOnAvailableEndpoint(exposure = EndpointExposure.WEB)
	CachedEndpointWebExtension cachedEndpointWebExtension(CachedEndpoint cachedEndpoint, CacheRegistry cacheRegistry) {
		return new CachedEndpointWebExtension(cachedEndpoint, cacheRegistry);
	}

}
