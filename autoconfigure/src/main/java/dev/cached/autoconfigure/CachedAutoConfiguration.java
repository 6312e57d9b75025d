package dev.cached.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.cached.Cached;
import dev.cached.aop.CachedAdvisor;
import dev.cached.aop.CachedInterceptor;
import dev.cached.aop.CachedMethodValidator;
import dev.cached.aop.CachedOperationSource;
import dev.cached.async.AsyncResultAdapters;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.expression.MethodExpressions;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Auto-configuration for {@link Cached @Cached}: the cache registry, the operation source
 * with its startup scan, and the advice. {@code cached.enabled=false} switches it off.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "cached.enabled", matchIfMissing = true)
@EnableConfigurationProperties
@Import(CachedAutoConfiguration.AutoProxyRegistrar.class)
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
	CacheRegistry cachedCacheRegistry(CachedProperties properties) {
		CacheSpec defaults = toSpec("cached.defaults", properties.getDefaults());
		Map<String, CacheSpec> caches = new LinkedHashMap<>();
		properties.getCaches().forEach((name, settings) -> caches.put(name, toSpec("cached.caches.[" + name + "]",
				settings)));
		return new CacheRegistry((name) -> caches.getOrDefault(name, CacheSpec.NONE), defaults);
	}

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	CachedOperationSource cachedOperationSource(CacheRegistry cacheRegistry, BeanFactory beanFactory) {
		ClassLoader classLoader = (beanFactory instanceof ConfigurableBeanFactory configurable
				&& configurable.getBeanClassLoader() != null) ? configurable.getBeanClassLoader()
						: CachedAutoConfiguration.class.getClassLoader();
		return new CachedOperationSource(cacheRegistry,
				new MethodExpressions(beanFactory, CachedAutoConfiguration.class.getClassLoader()),
				AsyncResultAdapters.detect(classLoader));
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
	CachedAdvisor cachedAdvisor(CachedOperationSource cachedOperationSource, CachedInterceptor cachedInterceptor) {
		return new CachedAdvisor(cachedOperationSource, cachedInterceptor);
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static CachedMethodValidator cachedMethodValidator(ObjectProvider<CachedOperationSource> cachedOperationSource) {
		return new CachedMethodValidator(cachedOperationSource);
	}

	@Bean
	@ConditionalOnMissingBean
	CachedStartupReport cachedStartupReport(CacheRegistry cacheRegistry, CachedProperties properties) {
		return new CachedStartupReport(cacheRegistry, properties);
	}

	private static CacheSpec toSpec(String prefix, CachedProperties.Settings settings) {
		return new CacheSpec(nonNegative(prefix + ".ttl", settings.getTtl()),
				nonNegative(prefix + ".max-size", settings.getMaxSize()),
				nonNegative(prefix + ".wait-timeout", settings.getWaitTimeout()), settings.getCacheNullValues());
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
