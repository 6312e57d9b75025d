package dev.cached.autoconfigure;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.autoconfigure.endpoint.CachedEndpointAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.test.tools.CompileWithForkedClassLoader;
import org.springframework.core.test.tools.TestCompiler;
import org.springframework.javapoet.ClassName;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CachedAutoConfiguration} through Spring's AOT step, as a native image or
 * {@code -Dspring.aot.enabled=true} uses it: the context is processed ahead of time, the
 * generated code is compiled, and the application starts from it. The hints a native
 * image needs are checked in {@link CachedRuntimeHintsTests}.
 */
@CompileWithForkedClassLoader
class CachedAutoConfigurationAotTests {

	private static final String[] PROPERTIES = { "cached.caches.[RuleService.getRule].max-size=7",
			"management.endpoints.web.exposure.include=cached" };

	@Test
	void startsFromTheGeneratedCodeWithCachingKeysAndInvalidationWorking() {
		processAndRun((context) -> {
			RuleService service = context.getBean(RuleService.class);
			assertThat(service.getRule(new RuleKey("R-1"))).isEqualTo("rule R-1 #1");
			assertThat(service.getRule(new RuleKey("R-1"))).isEqualTo("rule R-1 #1");
			assertThat(service.getRule(new RuleKey("R-2"))).isEqualTo("rule R-2 #2");

			service.update("R-1");

			assertThat(service.getRule(new RuleKey("R-1"))).isEqualTo("rule R-1 #3");
			assertThat(service.getRule(new RuleKey("R-2"))).isEqualTo("rule R-2 #2");
			service.put(new RuleKey("R-2"), "rule R-2 put");
			assertThat(service.getRule(new RuleKey("R-2"))).isEqualTo("rule R-2 put");
			CacheRegistry registry = context.getBean(CacheRegistry.class);
			assertThat(registry.getCache("RuleService.getRule").getSettings().maxSize().value())
				.as("cached.* bound at runtime").isEqualTo(7L);
			assertThat(context.getBean(CachedEndpoint.class).caches().caches()).containsOnlyKeys("RuleService.getRule");
		});
	}

	static Processed process(TestGenerationContext generationContext) {
		try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
			TestPropertyValues.of(PROPERTIES).applyTo(context);
			context.register(ApplicationConfiguration.class);
			ClassName initializer = new ApplicationContextAotGenerator().processAheadOfTime(context,
					generationContext);
			generationContext.writeGeneratedContent();
			return new Processed(generationContext, initializer);
		}
	}

	@SuppressWarnings("unchecked")
	private static void processAndRun(Consumer<GenericApplicationContext> assertions) {
		Processed processed = process(new TestGenerationContext());
		TestCompiler.forSystem().with(processed.generationContext()).compile((compiled) -> {
			try (GenericApplicationContext context = new GenericApplicationContext()) {
				TestPropertyValues.of(PROPERTIES).applyTo(context);
				compiled.getInstance(ApplicationContextInitializer.class, processed.initializer().toString())
					.initialize(context);
				context.refresh();
				assertions.accept(context);
			}
		});
	}

	record Processed(TestGenerationContext generationContext, ClassName initializer) {
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, CachedAutoConfiguration.class,
			CachedEndpointAutoConfiguration.class })
	public static class ApplicationConfiguration {

		@Bean
		public RuleService ruleService() {
			return new RuleService();
		}

	}

	public record RuleKey(String id) {
	}

	public static class RuleService {

		private final AtomicInteger loads = new AtomicInteger();

		@Cached(key = "#key.id")
		public String getRule(RuleKey key) {
			return "rule " + key.id() + " #" + this.loads.incrementAndGet();
		}

		@CacheInvalidate(name = "RuleService.getRule", key = "#id")
		public void update(String id) {
		}

		@CachePut(name = "RuleService.getRule", key = "#key.id")
		public String put(RuleKey key, String rule) {
			return rule;
		}

	}

}
