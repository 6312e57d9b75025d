package dev.cached.autoconfigure.observation;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.LoadObserver;
import dev.cached.observation.CachedLoadContext;
import dev.cached.observation.CachedWaitTracingObservationHandler;
import dev.cached.observation.DefaultCachedLoadObservationConvention;
import dev.cached.observation.ObservationLoadObserver;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.test.simple.SimpleTracer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedObservationAutoConfiguration}.
 */
class CachedObservationAutoConfigurationTests {

	/** Without a bean to proxy: a filtered class loader cannot define a proxy class. */
	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedObservationAutoConfiguration.class));

	private final ApplicationContextRunner withPrices = this.contextRunner.withBean(Prices.class);

	@Test
	void runWithObservationRegistryShouldObserveLoads() {
		this.withPrices.withBean(TestObservationRegistry.class, TestObservationRegistry::create).run((context) -> {
			assertThat(context).hasSingleBean(ObservationLoadObserver.class);
			Prices prices = context.getBean(Prices.class);
			prices.price("EUR");
			prices.price("EUR");
			TestObservationRegistryAssert.assertThat(context.getBean(TestObservationRegistry.class))
				.hasNumberOfObservationsWithNameEqualTo("cached.load", 1)
				.hasObservationWithNameEqualTo("cached.load")
				.that()
				.hasLowCardinalityKeyValue("cache", "prices")
				.hasLowCardinalityKeyValue("trigger", "miss")
				.hasLowCardinalityKeyValue("result", "success");
		});
	}

	@Test
	void runWithBootObservationAutoConfigurationShouldObserveInItsRegistry() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class))
			.run((context) -> assertThat(context).hasSingleBean(ObservationLoadObserver.class));
	}

	@Test
	void runWithoutObservationRegistryShouldNotObserve() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(LoadObserver.class));
	}

	@Test
	void runWithoutMicrometerObservationShouldNotObserve() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.observation"))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LoadObserver.class));
	}

	@Test
	void runWithCustomConventionShouldReplaceTheNamesAndKeys() {
		this.withPrices.withBean(TestObservationRegistry.class, TestObservationRegistry::create)
			.withBean(TieredLoadConvention.class)
			.run((context) -> {
				context.getBean(Prices.class).price("EUR");
				TestObservationRegistryAssert.assertThat(context.getBean(TestObservationRegistry.class))
					.hasNumberOfObservationsWithNameEqualTo("cached.load", 0)
					.hasObservationWithNameEqualTo("shop.cache.load")
					.that()
					.hasLowCardinalityKeyValue("cache", "prices")
					.hasLowCardinalityKeyValue("tier", "local");
			});
	}

	@Test
	void runWithTracerShouldLinkWaitSpans() {
		this.contextRunner.withBean(TestObservationRegistry.class, TestObservationRegistry::create)
			.withBean(Tracer.class, SimpleTracer::new)
			.run((context) -> assertThat(context).hasSingleBean(CachedWaitTracingObservationHandler.class));
	}

	@Test
	void runWithoutMicrometerTracingShouldNotLinkWaitSpans() {
		this.contextRunner.withBean(TestObservationRegistry.class, TestObservationRegistry::create)
			.withClassLoader(new FilteredClassLoader("io.micrometer.tracing"))
			.run((context) -> assertThat(context).hasSingleBean(ObservationLoadObserver.class)
				.doesNotHaveBean(CachedWaitTracingObservationHandler.class));
	}

	/** A convention of the application's own: another name, and a key more. */
	static class TieredLoadConvention extends DefaultCachedLoadObservationConvention {

		@Override
		public String getName() {
			return "shop.cache.load";
		}

		@Override
		public KeyValues getLowCardinalityKeyValues(CachedLoadContext context) {
			return super.getLowCardinalityKeyValues(context).and(KeyValue.of("tier", "local"));
		}

	}

	static class Prices {

		@Cached(name = "prices")
		public String price(String currency) {
			return "1.00";
		}

	}

}
