package dev.cached.autoconfigure;

import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.aop.CachedAdvisor;
import dev.cached.engine.CacheRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

class CachedAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withUserConfiguration(ServiceConfiguration.class);

	@Test
	void cachedMethodRunsOncePerKey() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(CachedAdvisor.class);
			CountingService service = context.getBean(CountingService.class);
			assertThat(service.square(3)).isEqualTo(9);
			assertThat(service.square(3)).isEqualTo(9);
			assertThat(service.calls()).isEqualTo(1);
			assertThat(context.getBean(CacheRegistry.class).getCacheNames()).containsExactly("CountingService.square");
		});
	}

	@Test
	void disabledRunsMethodsAsIfUnannotated() {
		this.contextRunner.withPropertyValues("cached.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(CachedAdvisor.class);
			CountingService service = context.getBean(CountingService.class);
			service.square(3);
			service.square(3);
			assertThat(service.calls()).isEqualTo(2);
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class ServiceConfiguration {

		@Bean
		CountingService countingService() {
			return new CountingService();
		}

	}

	static class CountingService {

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		@Cached
		public int square(int x) {
			this.calls.incrementAndGet();
			return x * x;
		}

	}

}
