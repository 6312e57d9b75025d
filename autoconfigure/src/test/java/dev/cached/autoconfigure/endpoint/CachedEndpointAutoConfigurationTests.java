package dev.cached.autoconfigure.endpoint;

import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.actuate.endpoint.CachedEndpointWebExtension;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedEndpointAutoConfiguration}.
 */
class CachedEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CachedAutoConfiguration.class, CachedEndpointAutoConfiguration.class));

	@Test
	void runWhenExposedOverWebShouldHaveEndpointAndWebExtension() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=cached").run((context) -> {
			assertThat(context).hasSingleBean(CachedEndpoint.class);
			assertThat(context).hasSingleBean(CachedEndpointWebExtension.class);
		});
	}

	@Test
	void runWhenExposedOverJmxOnlyShouldHaveEndpointWithoutWebExtension() {
		this.contextRunner
			.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=cached")
			.run((context) -> {
				assertThat(context).hasSingleBean(CachedEndpoint.class);
				assertThat(context).doesNotHaveBean(CachedEndpointWebExtension.class);
			});
	}

	@Test
	void runWhenNotExposedShouldNotHaveEndpointBean() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(CachedEndpoint.class));
	}

	@Test
	void runWhenExposedButAccessNoneShouldNotHaveEndpointBean() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=cached",
					"management.endpoint.cached.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(CachedEndpoint.class));
	}

	@Test
	void runWhenCachedIsDisabledShouldNotHaveEndpointBean() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=cached", "cached.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CachedEndpoint.class));
	}

	@Test
	void runWithoutActuatorShouldNotHaveEndpointBean() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(ConditionalOnAvailableEndpoint.class))
			.withPropertyValues("management.endpoints.web.exposure.include=cached")
			.run((context) -> assertThat(context).doesNotHaveBean(CachedEndpoint.class));
	}

	@Test
	void runWithUserEndpointShouldBackOff() {
		CachedEndpoint userEndpoint = new CachedEndpoint(new CacheRegistry((name) -> CacheSpec.NONE, CacheSpec.NONE));
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=cached")
			.withBean(CachedEndpoint.class, () -> userEndpoint)
			.run((context) -> assertThat(context).getBean(CachedEndpoint.class).isSameAs(userEndpoint));
	}

}
