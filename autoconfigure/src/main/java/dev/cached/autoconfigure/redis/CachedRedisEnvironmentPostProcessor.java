package dev.cached.autoconfigure.redis;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * With {@code cached.redis.enabled=true}, keeps Boot's own {@code redis} health indicator
 * out of {@code /actuator/health} unless the application says otherwise: the starter
 * survives a Redis outage (every call is answered locally), so an outage must not make the
 * application DOWN and have it restarted or taken out of its load balancer. Set
 * {@code management.health.redis.enabled=true} to keep Boot's indicator; the tier's own
 * state is in {@code /actuator/cached} either way.
 */
public final class CachedRedisEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	static final String HEALTH_PROPERTY = "management.health.redis.enabled";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!environment.getProperty("cached.redis.enabled", Boolean.class, false)
				|| environment.containsProperty(HEALTH_PROPERTY)) {
			return;
		}
		// the lowest precedence: any setting of the application wins
		environment.getPropertySources()
			.addLast(new MapPropertySource("cachedRedisDefaults", Map.of(HEALTH_PROPERTY, "false")));
	}

	@Override
	public int getOrder() {
		return ConfigDataEnvironmentPostProcessor.ORDER + 1;
	}

}
