package dev.cached.redis;

import java.util.Collection;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.cached.CachedAll;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code @CachedAll} method of a remote cache is checked at startup like a
 * {@code @Cached} one: its element values must be readable from Redis, and its elements,
 * when they are the keys, must have a stable form across instances.
 */
class RedisBulkStartupTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, JacksonAutoConfiguration.class,
				DataRedisAutoConfiguration.class, CachedAutoConfiguration.class, CachedRedisAutoConfiguration.class))
		.withPropertyValues("cached.redis.enabled=true", "spring.data.redis.port=1", "cached.defaults.remote=true");

	@Test
	void elementValuesThatCannotBeReadBackFailStartupNamingTheMethod() {
		this.runner.withBean(Shapes.class)
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("'dev.cached.redis.RedisBulkStartupTests$Shapes.shapes(java.util.Collection)' "
						+ "uses remote cache 'shapes' whose values are read back from Redis as its declared type "
						+ "dev.cached.redis.RedisBulkStartupTests$Shape, an interface with no known implementation"));
	}

	@Test
	void elementsWithoutAStableFormFailStartupNamingTheMethod() {
		this.runner.withBean(Things.class)
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("'dev.cached.redis.RedisBulkStartupTests$Things.things(java.util.Collection)' "
						+ "uses remote cache 'things' whose keys are its elements, of type "
						+ "dev.cached.redis.RedisBulkStartupTests$Thing, which has no stable form across instances"));
	}

	/** An interface Jackson knows no implementation of. */
	public interface Shape {

	}

	/** A class with no stable form (neither a record nor a simple value). */
	public static class Thing {

	}

	public static class Shapes {

		@CachedAll(name = "shapes")
		public Map<Long, Shape> shapes(Collection<Long> ids) {
			return Map.of();
		}

	}

	public static class Things {

		@CachedAll(name = "things")
		public Map<Thing, String> things(Collection<Thing> things) {
			return Map.of();
		}

	}

}
