package dev.cached.sample;

import java.time.Duration;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's reconnect delay reaches the {@link ClientResources} that Spring Boot
 * builds for Lettuce (and so the connections of the Redis tier).
 */
class RedisReconnectConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
		.withUserConfiguration(RedisReconnectConfiguration.class);

	@Test
	void lettuceTriesAgainAfter100msAtFirstAndAtLeastEveryTwoSeconds() {
		this.contextRunner.run((context) -> {
			Delay delay = context.getBean(ClientResources.class).reconnectDelay();
			assertThat(delay.createDelay(1)).isEqualTo(Duration.ofMillis(100));
			assertThat(delay.createDelay(9)).isEqualTo(Duration.ofMillis(256));
			assertThat(delay.createDelay(11)).isEqualTo(Duration.ofMillis(1024));
			assertThat(delay.createDelay(12)).isEqualTo(Duration.ofSeconds(2));
			assertThat(delay.createDelay(40)).isEqualTo(Duration.ofSeconds(2));
		});
	}

	@Test
	void withoutItLettuceWaitsUpTo30Seconds() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class))
			.run((context) -> {
				Delay delay = context.getBean(ClientResources.class).reconnectDelay();
				assertThat(delay.createDelay(1)).isEqualTo(Duration.ofMillis(1));
				assertThat(delay.createDelay(15)).isEqualTo(Duration.ofMillis(16384));
				assertThat(delay.createDelay(40)).isEqualTo(Duration.ofSeconds(30));
			});
	}

}
