package dev.cached.autoconfigure.observation;

import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.LoadObserver;
import dev.cached.observation.CachedLoadObservationConvention;
import dev.cached.observation.CachedWaitObservationConvention;
import dev.cached.observation.CachedWaitTracingObservationHandler;
import dev.cached.observation.ObservationLoadObserver;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Auto-configuration of the observations of every {@code @Cached} cache
 * ({@code cached.load}, {@code cached.wait}) in the application's
 * {@link ObservationRegistry}. A {@link CachedLoadObservationConvention} or
 * {@link CachedWaitObservationConvention} bean replaces the default names and keys. With
 * Micrometer Tracing and a {@link Tracer} bean, each wait span links to the span of the
 * load it waited for.
 */
@AutoConfiguration(after = CachedAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
				"org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
				"org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration",
				"org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration" })
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ ObservationRegistry.class, CacheRegistry.class })
public final class CachedObservationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(LoadObserver.class)
	ObservationLoadObserver cachedLoadObserver(CacheRegistry cacheRegistry, ObservationRegistry observationRegistry,
			ObjectProvider<CachedLoadObservationConvention> loadConvention,
			ObjectProvider<CachedWaitObservationConvention> waitConvention) {
		ObservationLoadObserver observer = new ObservationLoadObserver(observationRegistry,
				loadConvention.getIfAvailable(), waitConvention.getIfAvailable());
		cacheRegistry.setLoadObserver(observer);
		return observer;
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(Tracer.class)
	@ConditionalOnBean(Tracer.class)
	static class TracingConfiguration {

		/**
		 * Among the tracing handlers, which Spring Boot lets the first that supports a
		 * context handle, this one comes before Boot's default handler
		 * ({@code Ordered.LOWEST_PRECEDENCE - 1000}).
		 */
		@Bean
		@ConditionalOnMissingBean
		@Order(Ordered.LOWEST_PRECEDENCE - 2000)
		CachedWaitTracingObservationHandler cachedWaitTracingObservationHandler(Tracer tracer) {
			return new CachedWaitTracingObservationHandler(tracer);
		}

	}

}
