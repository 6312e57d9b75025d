package dev.cached.redis;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.redis.RedisFaultTests.Book;
import dev.cached.redis.RedisFaultTests.Books;
import dev.cached.testing.redis.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.util.StringUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Startup of the Redis tier: what is missing or wrong fails startup with a message that
 * says what to do; a remote cache while the tier is off is a warning, and the cache runs
 * local-only.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisStartupTests {

	/** Redis is never reached by these contexts: they fail, or do not use it. */
	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, JacksonAutoConfiguration.class,
				DataRedisAutoConfiguration.class, CachedAutoConfiguration.class, CachedRedisAutoConfiguration.class))
		.withUserConfiguration(OrdersConfiguration.class)
		.withPropertyValues("cached.redis.enabled=true", "spring.data.redis.port=1");

	@Test
	void enabledWithoutAConnectionFactorySaysToAddTheStarter() {
		assertThatException()
			.isThrownBy(() -> new SpringApplicationBuilder(RedisFaultTests.App.class).web(WebApplicationType.NONE)
				.run("--spring.main.banner-mode=off", "--cached.redis.enabled=true",
						"--spring.autoconfigure.exclude=" + DataRedisAutoConfiguration.class.getName())
				.close())
			.havingRootCause()
			.isInstanceOf(IllegalStateException.class)
			.withMessageContaining("cached.redis.enabled=true needs a RedisConnectionFactory bean")
			.withMessageContaining("org.springframework.boot:spring-boot-starter-data-redis");
	}

	@Test
	void enabledWithoutSpringDataRedisSaysToAddTheStarter() {
		this.runner.withClassLoader(new FilteredClassLoader("org.springframework.data.redis")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("cached.redis.enabled=true needs Spring Data Redis")
				.hasMessageContaining("org.springframework.boot:spring-boot-starter-data-redis");
		});
	}

	@Test
	void enabledWithoutLettuceSaysSo() {
		this.runner.withClassLoader(new FilteredClassLoader("io.lettuce")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("needs Lettuce");
		});
	}

	@ParameterizedTest
	@CsvSource({ "timeout, 0, 0s", "timeout, -1s, -1s", "timeout, -250ms, -250ms", "lease-time, 0, 0s",
			"retry-after, -5s, -5s", "max-staleness, 0, 0s", "max-value-size, 0, 0B", "max-value-size, -1KB, -1024B" })
	void zeroOrNegativeDurationsFailStartupNamingThePropertyAndTheValue(String property, String value,
			String shown) {
		this.runner.withPropertyValues("cached.redis." + property + "=" + value).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("cached.redis." + property)
				.hasMessageContaining("'" + shown + "'")
				.hasMessageContaining("must be positive");
		});
	}

	@ParameterizedTest
	@CsvSource({ "0", "-1" })
	void maxPendingBelowOneFailsStartupNamingThePropertyAndTheValue(String value) {
		this.runner.withPropertyValues("cached.redis.max-pending=" + value).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.redis.max-pending with value '" + value
						+ "' is invalid: It must be at least 1.");
		});
	}

	@Test
	void remoteCacheWhoseDefaultKeyHasAPlainClassFailsStartupNamingTheMethod() {
		this.runner.withPropertyValues("cached.caches.orders.remote=true").run((context) -> {
			assertThat(context).hasFailed();
			// the message of the failure names the method, its cause says why
			assertThat(context.getStartupFailure())
				.hasStackTraceContaining("'dev.cached.redis.RedisStartupTests$Orders.order("
						+ "dev.cached.redis.RedisStartupTests$Criteria)' uses remote cache 'orders' whose default key "
						+ "includes a parameter of type dev.cached.redis.RedisStartupTests$Criteria")
				.rootCause()
				.hasMessageContaining("cached.caches.[orders].remote=false");
		});
	}

	@Test
	void remoteCacheWhoseDefaultKeyHasAPlainClassFailsStartupNamingTheMethodReadAfterTheTier() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, JacksonAutoConfiguration.class,
					DataRedisAutoConfiguration.class, CachedAutoConfiguration.class, CachedRedisAutoConfiguration.class))
			.withUserConfiguration(OrdersAfterTheTierConfiguration.class)
			.withPropertyValues("cached.redis.enabled=true", "spring.data.redis.port=1",
					"cached.caches.orders.remote=true")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("'dev.cached.redis.RedisStartupTests$Orders.order("
							+ "dev.cached.redis.RedisStartupTests$Criteria)' uses remote cache 'orders' whose default key "
							+ "includes a parameter of type dev.cached.redis.RedisStartupTests$Criteria")
					.rootCause()
					.hasMessageStartingWith("@Cached on method ")
					.hasMessageContaining("cached.caches.[orders].remote=false");
			});
	}

	@Test
	void remoteCacheWhoseDefaultKeyHasAMapFailsStartupNamingTheMethod() {
		this.runner.withPropertyValues("cached.defaults.remote=true", "cached.caches.orders.remote=false")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure())
					.hasStackTraceContaining("'dev.cached.redis.RedisStartupTests$Orders.search(java.util.Map)' uses "
							+ "remote cache 'search' whose default key includes a parameter of type java.util.Map");
			});
	}

	@Test
	void theSameMethodsOnCachesThatAreNotRemoteStartAndWork() {
		try (RedisServer redis = RedisServer.start()) {
			this.runner.withPropertyValues("spring.data.redis.port=" + redis.port(), "cached.caches.orders.remote=false",
					"cached.caches.search.remote=false", "cached.caches.byId.remote=true").run((context) -> {
						assertThat(context).hasNotFailed().hasSingleBean(RedisTier.class);
						Orders orders = context.getBean(Orders.class);
						Criteria criteria = new Criteria("open");
						assertThat(orders.order(criteria)).isEqualTo("order open");
						assertThat(orders.order(criteria)).isEqualTo("order open");
						assertThat(orders.search(Map.of("status", "open"))).isEqualTo("search {status=open}");
						assertThat(orders.search(Map.of("status", "open"))).isEqualTo("search {status=open}");
						assertThat(orders.loads()).isEqualTo(2);
						CacheRegistry registry = context.getBean(CacheRegistry.class);
						assertThat(registry.getCache("orders").isRemoteActive()).isFalse();
						assertThat(registry.getCache("byId").isRemoteActive()).isTrue();
					});
		}
	}

	@Test
	void remoteCachesWhileTheTierIsOffWarnOncePerCacheAndRunLocalOnly(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = new SpringApplicationBuilder(RedisFaultTests.App.class)
					.web(WebApplicationType.NONE)
					.run("--spring.main.banner-mode=off", "--spring.data.redis.port=" + redis.port(),
							"--cached.caches.books.remote=true", "--cached.caches.covers.remote=true")) {
			assertThat(occurrences(output, "Cache 'books' is remote (cache), but cached.redis.enabled is not true"))
				.isOne();
			assertThat(occurrences(output, "Cache 'covers' is remote (cache), but cached.redis.enabled is not true"))
				.isOne();
			assertThat(occurrences(output, "Cache 'shelf' is remote")).isZero();
			assertThat(context.getBeanProvider(RedisTier.class).getIfAvailable()).isNull();
			Books books = context.getBean(Books.class);
			assertThat(books.book("a")).isEqualTo(new Book("a", 1));
			assertThat(books.book("a")).isEqualTo(new Book("a", 1));
			assertThat(books.cover("a")).isEqualTo(new Book("a", 1));
			assertThat(books.loads("a")).isEqualTo(1);
			CacheRegistry registry = context.getBean(CacheRegistry.class);
			assertThat(registry.getCache("books").isRemoteActive()).isFalse();
			assertThat(registry.getCache("books").getStatistics().hits()).isOne();
			assertThat(redis.keys("*")).isEmpty();
		}
	}

	@Test
	void remoteByDefaultWhileTheTierIsOffWarnsOncePerCache(CapturedOutput output) {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(RedisFaultTests.App.class)
			.web(WebApplicationType.NONE)
			.run("--spring.main.banner-mode=off", "--cached.defaults.remote=true")) {
			for (String cache : List.of("books", "covers", "shelf")) {
				assertThat(occurrences(output, "Cache '" + cache + "' is remote (defaults), but cached.redis.enabled"))
					.as(cache)
					.isOne();
			}
			assertThat(context.getBean(Books.class).shelf("a")).isEqualTo(new Book("a", 1));
		}
	}

	private static int occurrences(CapturedOutput output, String text) {
		return StringUtils.countOccurrencesOf(output.getOut(), text);
	}

	@Configuration(proxyBeanMethods = false)
	static class OrdersConfiguration {

		@Bean
		Orders orders() {
			return new Orders();
		}

	}

	/**
	 * The methods are read once the tier is attached.
	 */
	@Configuration(proxyBeanMethods = false)
	static class OrdersAfterTheTierConfiguration {

		@Bean
		@DependsOn("cachedRedisTier")
		Orders orders() {
			return new Orders();
		}

	}

	/**
	 * A plain class: no stable form across instances.
	 */
	public static class Criteria {

		private final String status;

		public Criteria(String status) {
			this.status = status;
		}

		@Override
		public boolean equals(Object other) {
			return other instanceof Criteria criteria && criteria.status.equals(this.status);
		}

		@Override
		public int hashCode() {
			return this.status.hashCode();
		}

		@Override
		public String toString() {
			return this.status;
		}

	}

	/**
	 * Methods whose default key has no stable form, and one whose key has.
	 */
	public static class Orders {

		private final AtomicInteger loads = new AtomicInteger();

		@Cached(name = "orders")
		public String order(Criteria criteria) {
			this.loads.incrementAndGet();
			return "order " + criteria;
		}

		@Cached(name = "search")
		public String search(Map<String, String> criteria) {
			this.loads.incrementAndGet();
			return "search " + criteria;
		}

		@Cached(name = "byId")
		public String byId(long id) {
			this.loads.incrementAndGet();
			return "order " + id;
		}

		public int loads() {
			return this.loads.get();
		}

	}

}
