package dev.cached.autoconfigure.redis;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.cached.aop.CachedMethodValidator;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.CachedProperties;
import dev.cached.engine.CacheRegistry;
import dev.cached.redis.RedisTier;
import dev.cached.redis.RedisTierSettings;

/**
 * Auto-configuration of the Redis tier, on with {@code cached.redis.enabled=true}: every
 * cache is attached to a {@link RedisTier} on the application's
 * {@link RedisConnectionFactory}. Enabled without Spring Data Redis, Lettuce or Jackson on
 * the classpath, or without a connection factory, it fails startup saying what to add.
 */
@AutoConfiguration(after = CachedAutoConfiguration.class,
		afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnBooleanProperty("cached.redis.enabled")
@ConditionalOnBean(CacheRegistry.class)
public final class CachedRedisAutoConfiguration {

	private static final Log logger = LogFactory.getLog(CachedRedisAutoConfiguration.class);

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = { "org.springframework.data.redis.connection.RedisConnectionFactory",
			"io.lettuce.core.RedisClient", "tools.jackson.databind.json.JsonMapper" })
	static class RedisTierConfiguration {

		@Bean
		RedisTier cachedRedisTier(ObjectProvider<RedisConnectionFactory> connectionFactory,
				ObjectProvider<JsonMapper> jsonMapper, CachedProperties properties, CacheRegistry registry,
				ObjectProvider<CachedMethodValidator> methodValidator) {
			CachedProperties.Redis redis = properties.getRedis();
			positive("cached.redis.timeout", redis.getTimeout());
			positive("cached.redis.lease-time", redis.getLeaseTime());
			positive("cached.redis.retry-after", redis.getRetryAfter());
			positive("cached.redis.max-staleness", redis.getMaxStaleness());
			if (redis.getMaxValueSize() == null || redis.getMaxValueSize().toBytes() <= 0) {
				throw new InvalidConfigurationPropertyValueException("cached.redis.max-value-size",
						String.valueOf(redis.getMaxValueSize()), "It must be positive.");
			}
			if (redis.getMaxPending() < 1) {
				throw new InvalidConfigurationPropertyValueException("cached.redis.max-pending", redis.getMaxPending(),
						"It must be at least 1.");
			}
			RedisConnectionFactory factory = connectionFactory.getIfAvailable();
			if (factory == null) {
				throw new IllegalStateException("cached.redis.enabled=true needs a RedisConnectionFactory bean: add "
						+ "org.springframework.boot:spring-boot-starter-data-redis and set spring.data.redis.host and "
						+ "spring.data.redis.port (or define a LettuceConnectionFactory bean)");
			}
			if (!(factory instanceof LettuceConnectionFactory)) {
				throw new IllegalStateException("cached.redis.enabled=true needs a LettuceConnectionFactory (the client "
						+ "of spring-boot-starter-data-redis), but the RedisConnectionFactory bean is a "
						+ factory.getClass().getName() + "; use Lettuce or set cached.redis.enabled=false");
			}
			if (factory instanceof LettuceConnectionFactory lettuce && lettuce.isClusterAware()) {
				logger.warn("cached.redis on a Redis Cluster (spring.data.redis.cluster.*) is not supported yet: "
						+ "failovers of the cluster are untested; see docs/many-instances.md, "
						+ "\"Redis Cluster and Sentinel\"");
			}
			JsonMapper mapper = jsonMapper.getIfAvailable(() -> JsonMapper.builder().build());
			RedisTier tier = new RedisTier(factory, mapper, new RedisTierSettings(redis.getKeyPrefix(),
					redis.getTimeout(), redis.getLeaseTime(), redis.getRetryAfter(), redis.isClearOnReconnect(),
					redis.getMaxStaleness(), redis.getMaxValueSize().toBytes(), redis.getMaxPending()));
			try {
				// the methods read so far are checked now, those read later as they are read
				methodValidator.ifAvailable((validator) -> validator.checkRemoteKeys(tier));
				registry.setRemoteTier(tier);
			}
			catch (RuntimeException ex) {
				tier.destroy();
				throw ex;
			}
			return tier;
		}

		private static void positive(String property, Duration value) {
			if (value == null || value.isZero() || value.isNegative()) {
				throw new InvalidConfigurationPropertyValueException(property,
						(value != null) ? dev.cached.engine.Durations.format(value) : null, "It must be positive.");
			}
		}

	}

	/**
	 * Says what to add when the tier is switched on without its libraries.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass({ "org.springframework.data.redis.connection.RedisConnectionFactory" })
	static class MissingSpringDataRedis {

		@Bean
		Object cachedRedisTier() {
			throw new IllegalStateException("cached.redis.enabled=true needs Spring Data Redis with Lettuce on the "
					+ "classpath: add org.springframework.boot:spring-boot-starter-data-redis (or set "
					+ "cached.redis.enabled=false)");
		}

	}

	/**
	 * Says what to add when Spring Data Redis is there but Lettuce or Jackson is not.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.data.redis.connection.RedisConnectionFactory")
	@ConditionalOnMissingClass({ "io.lettuce.core.RedisClient" })
	static class MissingLettuce {

		@Bean
		Object cachedRedisTier() {
			throw new IllegalStateException("cached.redis.enabled=true needs Lettuce (io.lettuce:lettuce-core), the "
					+ "client of spring-boot-starter-data-redis; the starter does not work with other clients");
		}

	}

	/**
	 * Says what to add when Jackson 3 is missing.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = { "org.springframework.data.redis.connection.RedisConnectionFactory",
			"io.lettuce.core.RedisClient" })
	@ConditionalOnMissingClass({ "tools.jackson.databind.json.JsonMapper" })
	static class MissingJackson {

		@Bean
		Object cachedRedisTier() {
			throw new IllegalStateException("cached.redis.enabled=true stores values as JSON and needs Jackson "
					+ "(tools.jackson.core:jackson-databind): add org.springframework.boot:spring-boot-starter-json");
		}

	}

}
