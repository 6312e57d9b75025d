package dev.cached.autoconfigure.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.github.benmanes.caffeine.cache.CacheLoader;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.metrics.CachedCacheMetricsRegistrar;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.metrics.CacheMetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MeterRegistryCustomizer;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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

	/**
	 * An application with Spring Boot's own Caffeine caches (statistics on, loading caches
	 * through a {@code CacheLoader} bean, so that Boot's binder registers every meter it
	 * has) and {@code @Cached} caches, exporting to a real Prometheus registry: Prometheus
	 * refuses a meter whose name it already knows with another type or other tag keys,
	 * so nothing may be refused, and the scrape shows both kinds of caches in the same
	 * metrics.
	 */
	@Test
	void runBesideSpringBootsCaffeineCachesShouldScrapeWithoutAConflict() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CacheAutoConfiguration.class,
					CacheMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, PrometheusMetricsExportAutoConfiguration.class))
			.withUserConfiguration(BothKindsOfCachesConfiguration.class)
			.withPropertyValues("spring.cache.type=caffeine", "spring.cache.cache-names=books",
					"spring.cache.caffeine.spec=recordStats")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				PrometheusMeterRegistry registry = context.getBean(PrometheusMeterRegistry.class);
				Books books = context.getBean(Books.class);
				Rules rules = context.getBean(Rules.class);
				for (int i = 0; i < 3; i++) {
					assertThat(books.find("dune")).isEqualTo("book dune");
					assertThat(rules.find("r1")).isEqualTo("rule r1");
				}
				assertThat(context.getBean(RefusedMeters.class).refused).isEmpty();
				String scrape = registry.scrape();
				String boot = "cache=\"books\",cache_manager=\"cacheManager\",name=\"books\"";
				String ours = "cache=\"Rules.find\",cache_manager=\"cached\",name=\"Rules.find\"";
				for (String tags : List.of(boot, ours)) {
					assertThat(scrape).contains("cache_gets_total{" + tags + ",result=\"hit\"} 2.0",
							"cache_gets_total{" + tags + ",result=\"miss\"} 1.0", "cache_puts_total{" + tags + "} ",
							"cache_evictions_total{" + tags + "} ", "cache_size{" + tags + "} 1.0",
							"cache_load_total{" + tags + ",result=\"success\"} 1.0",
							"cache_load_total{" + tags + ",result=\"failure\"} 0.0",
							"cache_load_duration_seconds{" + tags + "} ");
				}
				assertThat(scrape).contains("cache_coalesced_total{" + ours + "} 0.0", "cache_inflight{" + ours + "} 0.0",
						"cached_load_duration_seconds_count{" + ours + "} 1");
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

	@Configuration(proxyBeanMethods = false)
	@EnableCaching
	static class BothKindsOfCachesConfiguration {

		@Bean
		RefusedMeters refusedMeters() {
			return new RefusedMeters();
		}

		@Bean
		MeterRegistryCustomizer<MeterRegistry> recordRefusedMeters(RefusedMeters refusedMeters) {
			return (registry) -> registry.config()
				.onMeterRegistrationFailed((id, reason) -> refusedMeters.refused.add(id + ": " + reason));
		}

		@Bean
		CacheLoader<Object, Object> bootCacheLoader() {
			return (key) -> "book " + key;
		}

		@Bean
		Books books() {
			return new Books();
		}

		@Bean
		Rules rules() {
			return new Rules();
		}

	}

	static class RefusedMeters {

		final List<String> refused = new CopyOnWriteArrayList<>();

	}

	static class Books {

		@Cacheable("books")
		public String find(String id) {
			return "book " + id;
		}

	}

	static class Rules {

		@Cached
		public String find(String id) {
			return "rule " + id;
		}

	}

}
