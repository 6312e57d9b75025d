package dev.cached.sample;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.resource.Delay;

import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How soon Lettuce reconnects after Redis comes back, for the many-instances mode. Its
 * default delay between attempts doubles from 1 ms up to 30 s, so after an outage of
 * 20 s the next attempt may come 15 s after Redis is back; here it doubles from 100 ms
 * up to 2 s. The delay is part of Lettuce's {@code ClientResources}, which Spring Boot
 * builds and lets a {@link ClientResourcesBuilderCustomizer} bean adjust
 * (docs/many-instances.md).
 */
@Configuration(proxyBeanMethods = false)
class RedisReconnectConfiguration {

	@Bean
	ClientResourcesBuilderCustomizer lettuceReconnectDelay() {
		return (clientResources) -> clientResources
			.reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS));
	}

}
