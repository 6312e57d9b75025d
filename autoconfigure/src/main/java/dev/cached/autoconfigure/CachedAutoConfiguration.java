package dev.cached.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.aop.CachedAdvisor;
import dev.cached.aop.CachedInterceptor;
import dev.cached.aop.CachedMethodValidator;
import dev.cached.aop.CachedOperationSource;
import dev.cached.async.AsyncResultAdapters;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.DefaultCachedCaches;
import dev.cached.engine.Refresher;
import dev.cached.engine.WriteRepeater;
import dev.cached.expression.MethodExpressions;
import dev.cached.transaction.TransactionAwareWriteRepeater;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.transaction.TransactionManager;

/**
 * Auto-configuration for {@link Cached @Cached}: the cache registry, the operation source
 * with its startup scan, and the advice. {@code cached.enabled=false} switches it off.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "cached.enabled", matchIfMissing = true)
@EnableConfigurationProperties
@Import(CachedAutoConfiguration.AutoProxyRegistrar.class)
@ImportRuntimeHints(CachedRuntimeHints.class)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
public final class CachedAutoConfiguration {

	// Every bean here is infrastructure: the advisor is created while post-processors
	// are still being registered (as Spring's own caching advisor is), and so is
	// everything it depends on.

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	CachedProperties cachedProperties() {
		return new CachedProperties();
	}

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	CacheRegistry cachedCacheRegistry(CachedProperties properties, ObjectProvider<WriteRepeater> writeRepeater,
			ObjectProvider<Refresher.Factory> refreshers) {
		CacheSpec defaults = toSpec("cached.defaults", properties.getDefaults());
		Map<String, CacheSpec> caches = new LinkedHashMap<>();
		properties.getCaches().forEach((name, settings) -> caches.put(name, toSpec("cached.caches.[" + name + "]",
				settings)));
		CacheRegistry registry = new CacheRegistry((name) -> caches.getOrDefault(name, CacheSpec.NONE), defaults,
				Ticker.systemTicker(), ForkJoinPool.commonPool(), refreshers.getIfAvailable(() -> Refresher.Factory.NONE));
		writeRepeater.ifAvailable(registry::setWriteRepeater);
		return registry;
	}

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	CachedOperationSource cachedOperationSource(CacheRegistry cacheRegistry, BeanFactory beanFactory) {
		ClassLoader classLoader = (beanFactory instanceof ConfigurableBeanFactory configurable
				&& configurable.getBeanClassLoader() != null) ? configurable.getBeanClassLoader()
						: CachedAutoConfiguration.class.getClassLoader();
		// durations in annotations follow Boot's rules for durations in properties
		return new CachedOperationSource(cacheRegistry,
				new MethodExpressions(beanFactory, CachedAutoConfiguration.class.getClassLoader()),
				DurationStyle::detectAndParse, AsyncResultAdapters.detect(classLoader));
	}

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	CachedInterceptor cachedInterceptor(CachedOperationSource cachedOperationSource) {
		return new CachedInterceptor(cachedOperationSource);
	}

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	CachedAdvisor cachedAdvisor(CachedOperationSource cachedOperationSource, CachedInterceptor cachedInterceptor,
			CachedProperties properties) {
		CachedAdvisor advisor = new CachedAdvisor(cachedOperationSource, cachedInterceptor);
		advisor.setOrder(properties.getOrder());
		return advisor;
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static CachedMethodValidator cachedMethodValidator(ObjectProvider<CachedOperationSource> cachedOperationSource) {
		return new CachedMethodValidator(cachedOperationSource);
	}

	@Bean
	@ConditionalOnMissingBean
	CachedCaches cachedCaches(CacheRegistry cacheRegistry) {
		return new DefaultCachedCaches(cacheRegistry);
	}

	@Bean
	@ConditionalOnMissingBean
	CachedStartupReport cachedStartupReport(CacheRegistry cacheRegistry, CachedProperties properties) {
		return new CachedStartupReport(cacheRegistry, properties);
	}

	private static CacheSpec toSpec(String prefix, CachedProperties.Settings settings) {
		return new CacheSpec(nonNegative(prefix + ".ttl", settings.getTtl()),
				nonNegative(prefix + ".max-size", settings.getMaxSize()),
				nonNegative(prefix + ".wait-timeout", settings.getWaitTimeout()), settings.getCacheNullValues(),
				positive(prefix + ".refresh-after", settings.getRefreshAfter()),
				jitter(prefix + ".ttl-jitter", settings.getTtlJitter()),
				beta(prefix + ".early-refresh-beta", settings.getEarlyRefreshBeta()), settings.getRemote());
	}

	private static @Nullable Duration positive(String property, @Nullable Duration value) {
		if (value != null && (value.isNegative() || value.isZero())) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					"It must be positive (and below the cache's ttl).");
		}
		return value;
	}

	private static @Nullable Double jitter(String property, @Nullable Double value) {
		if (value != null && !(value >= 0 && value <= 0.5)) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					"It must be a fraction between 0 and 0.5 (e.g. 0.1 for ttl +/- 10%).");
		}
		return value;
	}

	private static @Nullable Double beta(String property, @Nullable Double value) {
		if (value != null && !(value > 0 && value < Double.POSITIVE_INFINITY)) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					"It must be a number above 0 (1.0 is the usual choice).");
		}
		return value;
	}

	private static @Nullable Duration nonNegative(String property, @Nullable Duration value) {
		if (value != null && value.isNegative()) {
			throw new InvalidConfigurationPropertyValueException(property, value, "It must not be negative.");
		}
		return value;
	}

	private static @Nullable Long nonNegative(String property, @Nullable Long value) {
		if (value != null && value < 0) {
			throw new InvalidConfigurationPropertyValueException(property, value, "It must not be negative.");
		}
		return value;
	}

	/**
	 * Transaction-aware writes, when Spring's transaction support is on the classpath and
	 * {@code cached.transaction-aware} is not {@code false}.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.transaction.support.TransactionSynchronizationManager")
	@ConditionalOnBooleanProperty(name = "cached.transaction-aware", matchIfMissing = true)
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static class TransactionAwareConfiguration {

		@Bean
		@ConditionalOnMissingBean(WriteRepeater.class)
		@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
		static TransactionAwareWriteRepeater cachedTransactionAwareWriteRepeater() {
			return new TransactionAwareWriteRepeater();
		}

		@Bean
		static TransactionManagerCheck cachedTransactionManagerCheck(ListableBeanFactory beanFactory,
				Environment environment) {
			return new TransactionManagerCheck(beanFactory, environment);
		}

	}

	/**
	 * Says once at startup, as a warning, that {@code cached.transaction-aware=true} was set
	 * but has nothing to work with: no transaction manager exists, so invalidations take
	 * effect at once only. When the property is not set, the default has nothing to be
	 * aware of in such an application and nothing is said.
	 */
	static final class TransactionManagerCheck implements SmartInitializingSingleton {

		private static final Log logger = LogFactory.getLog(CachedAutoConfiguration.class);

		private final ListableBeanFactory beanFactory;

		private final Environment environment;

		TransactionManagerCheck(ListableBeanFactory beanFactory, Environment environment) {
			this.beanFactory = beanFactory;
			this.environment = environment;
		}

		@Override
		public void afterSingletonsInstantiated() {
			if (!this.environment.containsProperty("cached.transaction-aware")
					|| this.beanFactory.getBeanNamesForType(TransactionManager.class, true, false).length > 0) {
				return;
			}
			logger.warn("cached.transaction-aware is on, but there is no transaction manager: invalidations "
					+ "take effect at once only, never again after a commit (remove cached.transaction-aware=true, or "
					+ "set it to false, if that is intended)");
		}

	}

	/**
	 * Makes sure an auto-proxy creator exists even when {@code spring.aop.auto=false}; with
	 * Boot's AOP auto-configuration, the existing (more capable) creator is kept.
	 */
	static final class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar {

		@Override
		public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
			AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
		}

	}

}
