package dev.cached.autoconfigure.metrics;

import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.metrics.CachedCacheMetricsRegistrar;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedMetricsAutoConfiguration}.
 */
class CachedMetricsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CachedAutoConfiguration.class, CachedMetricsAutoConfiguration.class));

	@Test
	void runWithMeterRegistryShouldHaveRegistrar() {
		this.contextRunner.withBean(SimpleMeterRegistry.class)
			.run((context) -> assertThat(context).hasSingleBean(CachedCacheMetricsRegistrar.class));
	}

	@Test
	void runWithBootMetricsAutoConfigurationShouldBindToItsRegistry() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasSingleBean(CachedCacheMetricsRegistrar.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				context.getBean(CacheRegistry.class)
					.register("late", Object.class.getMethod("toString"), false, null);
				assertThat(registry.find("cache.gets").tag("cache", "late").meters()).hasSize(2);
			});
	}

	@Test
	void runWithoutMeterRegistryShouldNotHaveRegistrar() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(CachedCacheMetricsRegistrar.class));
	}

	@Test
	void runWithoutMicrometerShouldNotHaveRegistrar() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).doesNotHaveBean(CachedCacheMetricsRegistrar.class));
	}

	@Test
	void runWhenDisabledShouldNotHaveRegistrar() {
		this.contextRunner.withBean(SimpleMeterRegistry.class)
			.withPropertyValues("cached.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CachedCacheMetricsRegistrar.class));
	}

	@Test
	void runWithUserRegistrarShouldBackOff() {
		CachedCacheMetricsRegistrar userRegistrar = new CachedCacheMetricsRegistrar(
				new CacheRegistry((name) -> CacheSpec.NONE, CacheSpec.NONE), new SimpleMeterRegistry(), Tags.empty());
		this.contextRunner.withBean(SimpleMeterRegistry.class)
			.withBean(CachedCacheMetricsRegistrar.class, () -> userRegistrar)
			.run((context) -> assertThat(context).getBean(CachedCacheMetricsRegistrar.class).isSameAs(userRegistrar));
	}

}
