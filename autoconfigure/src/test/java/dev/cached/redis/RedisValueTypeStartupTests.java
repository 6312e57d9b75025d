package dev.cached.redis;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.SliceImpl;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A remote cache whose declared return type cannot be read back from Redis (an interface
 * or an abstract class with no known implementation) fails startup naming the method;
 * collections, maps, Spring Data's pages and slices, {@code Object} and a type that names
 * its subtypes start.
 */
class RedisValueTypeStartupTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, JacksonAutoConfiguration.class,
				DataRedisAutoConfiguration.class, CachedAutoConfiguration.class, CachedRedisAutoConfiguration.class))
		.withPropertyValues("cached.redis.enabled=true", "spring.data.redis.port=1");

	@Test
	void aRemoteCacheOfAnInterfaceWithNoKnownImplementationFailsStartupNamingTheMethod() {
		this.runner.withUserConfiguration(ShapesConfiguration.class)
			.withPropertyValues("cached.caches.shapes.remote=true")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("Method 'dev.cached.redis.RedisValueTypeStartupTests$Shapes.shape(int)' "
							+ "uses remote cache 'shapes' whose values are read back from Redis as its declared type "
							+ "dev.cached.redis.RedisValueTypeStartupTests$Shape, an interface with no known "
							+ "implementation")
					.rootCause()
					.hasMessageContaining("cached.caches.[shapes].remote=false");
			});
	}

	@Test
	void aRemoteCacheOfAnAbstractClassFailsStartupNamingTheMethodReadAfterTheTier() {
		this.runner.withUserConfiguration(ShapesAfterTheTierConfiguration.class)
			.withPropertyValues("cached.caches.figures.remote=true")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("'dev.cached.redis.RedisValueTypeStartupTests$Shapes.figure(int)' "
							+ "uses remote cache 'figures' whose values are read back from Redis as its declared type "
							+ "dev.cached.redis.RedisValueTypeStartupTests$Figure, an abstract class with no known "
							+ "implementation")
					.rootCause()
					.hasMessageStartingWith("@Cached on method ");
			});
	}

	@Test
	void readableTypesStartAndTheSameMethodsOnLocalCachesToo() {
		try (RedisServer redis = RedisServer.start()) {
			this.runner.withUserConfiguration(ShapesConfiguration.class)
				.withPropertyValues("spring.data.redis.port=" + redis.port(), "cached.defaults.remote=true",
						"cached.caches.shapes.remote=false", "cached.caches.figures.remote=false")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					Shapes shapes = context.getBean(Shapes.class);
					assertThat(shapes.named(1)).isEqualTo(new Circle(1));
					assertThat(shapes.shape(1)).isEqualTo(new Circle(1));
				});
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class ShapesConfiguration {

		@Bean
		Shapes shapes() {
			return new Shapes();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ShapesAfterTheTierConfiguration {

		@Bean
		@DependsOn("cachedRedisTier")
		Shapes shapes() {
			return new Shapes();
		}

	}

	/** An interface Jackson knows no implementation of. */
	public interface Shape {

	}

	/** An abstract class Jackson knows no implementation of. */
	public abstract static class Figure {

	}

	/** An interface that names its subtypes. */
	@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
	@JsonSubTypes(@JsonSubTypes.Type(value = Circle.class, name = "circle"))
	public interface NamedShape {

	}

	/**
	 * A circle.
	 *
	 * @param radius its radius
	 */
	public record Circle(int radius) implements Shape, NamedShape {
	}

	/** Methods of remote caches, of every kind of declared type. */
	public static class Shapes {

		@Cached(name = "shapes")
		public Shape shape(int radius) {
			return new Circle(radius);
		}

		@Cached(name = "figures")
		public Figure figure(int radius) {
			return new Figure() {
			};
		}

		@Cached(name = "named")
		public NamedShape named(int radius) {
			return new Circle(radius);
		}

		@Cached(name = "collection")
		public Collection<Circle> collection(int radius) {
			return List.of(new Circle(radius));
		}

		@Cached(name = "set")
		public Set<Circle> set(int radius) {
			return Set.of(new Circle(radius));
		}

		@Cached(name = "map")
		public Map<String, Circle> map(int radius) {
			return Map.of("c", new Circle(radius));
		}

		@Cached(name = "anything")
		public Object anything(int radius) {
			return radius;
		}

		@Cached(name = "number")
		public Number number(int radius) {
			return radius;
		}

		@Cached(name = "page")
		public Page<Circle> page(Pageable pageable) {
			return new PageImpl<>(List.of(), pageable, 0);
		}

		@Cached(name = "slice")
		public Slice<Circle> slice(Pageable pageable) {
			return new SliceImpl<>(List.of(), pageable, false);
		}

	}

}
