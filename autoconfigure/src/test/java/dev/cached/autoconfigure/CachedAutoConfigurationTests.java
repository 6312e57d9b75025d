package dev.cached.autoconfigure;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Policy;
import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.aop.CachedAdvisor;
import dev.cached.aop.CachedInterceptor;
import dev.cached.aop.CachedMethodValidator;
import dev.cached.aop.CachedOperationSource;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Setting;
import dev.cached.engine.SettingSource;
import dev.cached.engine.WriteRepeater;
import dev.cached.expression.MethodExpressions;
import dev.cached.transaction.TransactionAwareWriteRepeater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.framework.autoproxy.InfrastructureAdvisorAutoProxyCreator;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
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
	void runShouldCreateDefaultBeans() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(CacheRegistry.class)
				.hasSingleBean(CachedOperationSource.class)
				.hasSingleBean(CachedInterceptor.class)
				.hasSingleBean(CachedAdvisor.class)
				.hasSingleBean(CachedMethodValidator.class)
				.hasSingleBean(CachedStartupReport.class)
				.hasSingleBean(CachedProperties.class);
			assertThat(context.getBean(CachedAdvisor.class).getAdvice())
				.isSameAs(context.getBean(CachedInterceptor.class));
			assertThat(context.getBean(CachedOperationSource.class).getRegistry())
				.isSameAs(context.getBean(CacheRegistry.class));
		});
	}

	@Test
	void userDefinedCacheRegistryBacksOffOurs() {
		this.contextRunner.withUserConfiguration(UserRegistryConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(CacheRegistry.class);
			CacheRegistry registry = context.getBean(CacheRegistry.class);
			assertThat(registry).isSameAs(context.getBean("userRegistry"));
			assertThat(context.getBean(CachedOperationSource.class).getRegistry()).isSameAs(registry);
			context.getBean(CountingService.class).square(2);
			assertThat(registry.getCache("CountingService.square").getSettings().ttl())
				.isEqualTo(new Setting<>(Duration.ofSeconds(42), SettingSource.DEFAULTS));
		});
	}

	@Test
	void userDefinedOperationSourceBacksOffOurs() {
		this.contextRunner.withUserConfiguration(UserSourceConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(CachedOperationSource.class);
			CachedOperationSource source = context.getBean(CachedOperationSource.class);
			assertThat(source).isSameAs(context.getBean("userSource"));
			CountingService service = context.getBean(CountingService.class);
			service.square(2);
			service.square(2);
			assertThat(service.calls()).isEqualTo(1);
			assertThat(source.getRegistry().getCacheNames()).containsExactly("CountingService.square");
		});
	}

	@Test
	void userDefinedInterceptorBacksOffOurs() {
		this.contextRunner.withUserConfiguration(UserInterceptorConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(CachedInterceptor.class);
			CachedInterceptor interceptor = context.getBean(CachedInterceptor.class);
			assertThat(interceptor).isSameAs(context.getBean("userInterceptor"));
			assertThat(context.getBean(CachedAdvisor.class).getAdvice()).isSameAs(interceptor);
		});
	}

	@Test
	void userDefinedAdvisorBacksOffOurs() {
		this.contextRunner.withUserConfiguration(UserAdvisorConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(CachedAdvisor.class);
			assertThat(context.getBean(CachedAdvisor.class)).isSameAs(context.getBean("userAdvisor"));
			CountingService service = context.getBean(CountingService.class);
			service.square(2);
			service.square(2);
			assertThat(service.calls()).isEqualTo(1);
		});
	}

	@Test
	void disabledRunsMethodsAsIfUnannotated() {
		this.contextRunner.withPropertyValues("cached.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(CachedAdvisor.class)
				.doesNotHaveBean(CacheRegistry.class)
				.doesNotHaveBean(CachedMethodValidator.class);
			CountingService service = context.getBean(CountingService.class);
			assertThat(AopUtils.isAopProxy(service)).isFalse();
			service.square(3);
			service.square(3);
			assertThat(service.calls()).isEqualTo(2);
		});
	}

	@Test
	void disabledDoesNotValidateAnnotations() {
		this.contextRunner.withPropertyValues("cached.enabled=false")
			.withBean(BrokenService.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				BrokenService service = context.getBean(BrokenService.class);
				assertThat(service.find(1)).isEqualTo("find 1");
				service.evict(1);
				assertThat(service.evictions()).isEqualTo(1);
			});
	}

	@Test
	void worksWithoutBootAutoProxyingThroughItsOwnAutoProxyCreator() {
		this.contextRunner.withPropertyValues("spring.aop.auto=false").run((context) -> {
			assertThat(context.getBean(AopConfigUtils.AUTO_PROXY_CREATOR_BEAN_NAME))
				.isExactlyInstanceOf(InfrastructureAdvisorAutoProxyCreator.class);
			CountingService service = context.getBean(CountingService.class);
			assertThat(AopUtils.isAopProxy(service)).isTrue();
			service.square(4);
			service.square(4);
			assertThat(service.calls()).isEqualTo(1);
		});
	}

	@Test
	void worksWithoutAspectJ() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("org.aspectj.weaver")).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(AopConfigUtils.AUTO_PROXY_CREATOR_BEAN_NAME))
				.isExactlyInstanceOf(InfrastructureAdvisorAutoProxyCreator.class);
			CountingService service = context.getBean(CountingService.class);
			assertThat(AopUtils.isCglibProxy(service)).isTrue();
			service.square(5);
			service.square(5);
			assertThat(service.calls()).isEqualTo(1);
		});
	}

	@Test
	void settingsFromEverySourceFollowPrecedence() {
		this.contextRunner.withUserConfiguration(PrecedenceConfiguration.class)
			.withPropertyValues("cached.defaults.ttl=10s", "cached.defaults.max-size=10",
					"cached.defaults.wait-timeout=10s", "cached.defaults.cache-null-values=false",
					"cached.caches.[PrecedenceService.perCache].ttl=1000s",
					"cached.caches.[PrecedenceService.perCache].max-size=1000",
					"cached.caches.[PrecedenceService.perCache].wait-timeout=1000s",
					"cached.caches.[PrecedenceService.perCache].cache-null-values=true")
			.run((context) -> {
				CacheSettings perCache = settings(context, "PrecedenceService.perCache");
				assertThat(perCache.ttl()).isEqualTo(new Setting<>(Duration.ofSeconds(1000), SettingSource.CACHE));
				assertThat(perCache.maxSize()).isEqualTo(new Setting<>(1000L, SettingSource.CACHE));
				assertThat(perCache.waitTimeout())
					.isEqualTo(new Setting<>(Duration.ofSeconds(1000), SettingSource.CACHE));
				assertThat(perCache.cacheNullValues()).isEqualTo(new Setting<>(true, SettingSource.CACHE));
				CacheSettings annotation = settings(context, "PrecedenceService.annotation");
				assertThat(annotation.ttl())
					.isEqualTo(new Setting<>(Duration.ofSeconds(100), SettingSource.ANNOTATION));
				assertThat(annotation.maxSize()).isEqualTo(new Setting<>(10L, SettingSource.DEFAULTS));
				assertThat(annotation.waitTimeout())
					.isEqualTo(new Setting<>(Duration.ofSeconds(10), SettingSource.DEFAULTS));
				assertThat(annotation.cacheNullValues()).isEqualTo(new Setting<>(false, SettingSource.DEFAULTS));
				CacheSettings defaults = settings(context, "PrecedenceService.unset");
				assertThat(defaults.ttl()).isEqualTo(new Setting<>(Duration.ofSeconds(10), SettingSource.DEFAULTS));
				assertThat(defaults.maxSize()).isEqualTo(new Setting<>(10L, SettingSource.DEFAULTS));
				Policy<Object, Object> policy = cache(context, "PrecedenceService.perCache").getNativeCache().policy();
				assertThat(policy.eviction().orElseThrow().getMaximum()).isEqualTo(1000);
				assertThat(policy.expireAfterWrite().orElseThrow().getExpiresAfter())
					.isEqualTo(Duration.ofSeconds(1000));
				Policy<Object, Object> annotationPolicy = cache(context, "PrecedenceService.annotation")
					.getNativeCache()
					.policy();
				assertThat(annotationPolicy.eviction().orElseThrow().getMaximum()).isEqualTo(10);
				assertThat(annotationPolicy.expireAfterWrite().orElseThrow().getExpiresAfter())
					.isEqualTo(Duration.ofSeconds(100));
			});
	}

	@Test
	void builtInSettingsApplyWhenNothingIsConfigured() {
		this.contextRunner.withUserConfiguration(PrecedenceConfiguration.class).run((context) -> {
			CacheSettings unset = settings(context, "PrecedenceService.unset");
			assertThat(unset.ttl()).isEqualTo(new Setting<>(null, SettingSource.BUILT_IN));
			assertThat(unset.maxSize()).isEqualTo(new Setting<>(10_000L, SettingSource.BUILT_IN));
			assertThat(unset.waitTimeout()).isEqualTo(new Setting<>(null, SettingSource.BUILT_IN));
			assertThat(unset.cacheNullValues()).isEqualTo(new Setting<>(true, SettingSource.BUILT_IN));
			assertThat(cache(context, "PrecedenceService.unset").getNativeCache().policy().expireAfterWrite())
				.isEmpty();
			CacheSettings annotation = settings(context, "PrecedenceService.annotation");
			assertThat(annotation.ttl()).isEqualTo(new Setting<>(Duration.ofSeconds(100), SettingSource.ANNOTATION));
			assertThat(annotation.maxSize()).isEqualTo(new Setting<>(10_000L, SettingSource.BUILT_IN));
		});
	}

	@Test
	void perCacheSettingOverridesOnlyWhatItSets() {
		this.contextRunner.withUserConfiguration(PrecedenceConfiguration.class)
			.withPropertyValues("cached.defaults.ttl=10s", "cached.caches.[PrecedenceService.annotation].max-size=1000")
			.run((context) -> {
				CacheSettings annotation = settings(context, "PrecedenceService.annotation");
				assertThat(annotation.ttl())
					.isEqualTo(new Setting<>(Duration.ofSeconds(100), SettingSource.ANNOTATION));
				assertThat(annotation.maxSize()).isEqualTo(new Setting<>(1000L, SettingSource.CACHE));
				assertThat(annotation.cacheNullValues()).isEqualTo(new Setting<>(true, SettingSource.BUILT_IN));
			});
	}

	@Test
	void startupLogsOneInfoLinePerCache(CapturedOutput output) {
		this.contextRunner.withPropertyValues("cached.caches.[CountingService.square].ttl=1000s").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("Cache 'CountingService.square': ttl=1000s (cache), "
					+ "max-size=10000 (built-in), wait-timeout=none (built-in), cache-null-values=true (built-in), "
					+ "methods=[dev.cached.autoconfigure.CachedAutoConfigurationTests$CountingService.square(int)]");
			assertThat(output).doesNotContain("is configured, but no @Cached method uses");
		});
	}

	@Test
	void unusedCacheNameIsLoggedAsWarning(CapturedOutput output) {
		this.contextRunner.withPropertyValues("cached.caches.[Counting.square].ttl=5s").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).containsPattern("WARN .*CachedStartupReport\\s+(?:--|:) cached\\.caches\\.\\[Counting\\.square\\] "
					+ "is configured, but no @Cached method uses a cache named 'Counting\\.square'; known caches are "
					+ "\\[CountingService\\.square\\]");
		});
	}

	@Test
	void transactionAwareByDefaultWithoutATransactionManagerSaysNothing(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(TransactionAwareWriteRepeater.class);
			assertThat(output).doesNotContain("cached.transaction-aware").doesNotContain("transaction manager");
			CountingService service = context.getBean(CountingService.class);
			service.square(2);
			service.evict(2);
			service.square(2);
			assertThat(service.calls()).isEqualTo(2);
		});
	}

	@Test
	void transactionAwareSetWithoutATransactionManagerSaysSoOnceAtWarn(CapturedOutput output) {
		this.contextRunner.withPropertyValues("cached.transaction-aware=true").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).containsOnlyOnce("cached.transaction-aware is on, but there is no transaction manager: "
					+ "invalidations take effect at once only, never again after a commit (remove "
					+ "cached.transaction-aware=true, or set it to false, if that is intended)");
			assertThat(output).containsPattern("WARN .*CachedAutoConfiguration\\s+(?:--|:) cached\\.transaction-aware is on, "
					+ "but there is no transaction manager");
		});
	}

	@Test
	void transactionAwareSetWithATransactionManagerSaysNothing(CapturedOutput output) {
		this.contextRunner.withPropertyValues("cached.transaction-aware=true")
			.withBean(PlatformTransactionManager.class, NoOpTransactionManager::new)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).doesNotContain("cached.transaction-aware");
			});
	}

	@Test
	void transactionAwareWithATransactionManagerSaysNothing(CapturedOutput output) {
		this.contextRunner.withBean(PlatformTransactionManager.class, NoOpTransactionManager::new)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).doesNotContain("cached.transaction-aware");
			});
	}

	@Test
	void transactionAwareFalseSaysNothing(CapturedOutput output) {
		this.contextRunner.withPropertyValues("cached.transaction-aware=false").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(TransactionAwareWriteRepeater.class);
			assertThat(output).doesNotContain("cached.transaction-aware");
		});
	}

	@Test
	void worksWithoutSpringTransactionSupport() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("org.springframework.transaction"))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).doesNotHaveBean(WriteRepeater.class);
				CountingService service = context.getBean(CountingService.class);
				service.square(3);
				service.evict(3);
				service.square(3);
				assertThat(service.calls()).isEqualTo(2);
			});
	}

	@Test
	void negativeDefaultTtlFailsStartup() {
		this.contextRunner.withPropertyValues("cached.defaults.ttl=-5s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.defaults.ttl with value 'PT-5S' is invalid: It must not be negative.");
		});
	}

	@Test
	void negativePerCacheMaxSizeFailsStartup() {
		this.contextRunner.withPropertyValues("cached.caches.[Svc.find].max-size=-1").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.caches.[Svc.find].max-size with value '-1' is invalid: "
						+ "It must not be negative.");
		});
	}

	@Test
	void negativeWaitTimeoutFailsStartup() {
		this.contextRunner.withPropertyValues("cached.defaults.wait-timeout=-1ms").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.defaults.wait-timeout with value 'PT-0.001S' is invalid: "
						+ "It must not be negative.");
		});
	}

	@Test
	void orderSetsTheAdvisorOrder() {
		this.contextRunner.withPropertyValues("cached.order=42")
			.run((context) -> assertThat(context.getBean(CachedAdvisor.class).getOrder()).isEqualTo(42));
	}

	@Test
	void defaultOrderIsJustBeforeTheDefaultOrder() {
		this.contextRunner.run((context) -> assertThat(context.getBean(CachedAdvisor.class).getOrder())
			.isEqualTo(Ordered.LOWEST_PRECEDENCE - 1));
	}

	private static CachedCache cache(AssertableApplicationContext context, String name) {
		CachedCache cache = context.getBean(CacheRegistry.class).getCache(name);
		assertThat(cache).as("cache %s", name).isNotNull();
		return cache;
	}

	private static CacheSettings settings(AssertableApplicationContext context, String name) {
		return cache(context, name).getSettings();
	}

	@Configuration(proxyBeanMethods = false)
	static class ServiceConfiguration {

		@Bean
		CountingService countingService() {
			return new CountingService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserRegistryConfiguration {

		@Bean
		CacheRegistry userRegistry() {
			return new CacheRegistry((name) -> CacheSpec.NONE, new CacheSpec(Duration.ofSeconds(42), null, null, null));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserSourceConfiguration {

		@Bean
		@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
		static CachedOperationSource userSource() {
			return new CachedOperationSource(new CacheRegistry((name) -> CacheSpec.NONE, CacheSpec.NONE),
					new MethodExpressions(null, null));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserInterceptorConfiguration {

		@Bean
		@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
		static CachedInterceptor userInterceptor(CachedOperationSource source) {
			return new CachedInterceptor(source);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserAdvisorConfiguration {

		@Bean
		@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
		static CachedAdvisor userAdvisor(CachedOperationSource source) {
			return new CachedAdvisor(source, new CachedInterceptor(source));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class PrecedenceConfiguration {

		@Bean
		PrecedenceService precedenceService() {
			return new PrecedenceService();
		}

	}

	/**
	 * Public, so that a CGLIB proxy defined in another class loader (a
	 * {@link FilteredClassLoader}) may extend it.
	 */
	public static class CountingService {

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		@Cached
		public int square(int x) {
			this.calls.incrementAndGet();
			return x * x;
		}

		@CacheInvalidate(name = "CountingService.square")
		public void evict(int x) {
		}

	}

	static class NoOpTransactionManager extends AbstractPlatformTransactionManager {

		@Override
		protected Object doGetTransaction() {
			return new Object();
		}

		@Override
		protected void doBegin(Object transaction, TransactionDefinition definition) {
		}

		@Override
		protected void doCommit(DefaultTransactionStatus status) {
		}

		@Override
		protected void doRollback(DefaultTransactionStatus status) {
		}

	}

	static class PrecedenceService {

		@Cached(ttl = "100s")
		public String perCache() {
			return "perCache";
		}

		@Cached(ttl = "100s")
		public String annotation() {
			return "annotation";
		}

		@Cached
		public String unset() {
			return "unset";
		}

	}

	static class BrokenService {

		private final AtomicInteger evictions = new AtomicInteger();

		public int evictions() {
			return this.evictions.get();
		}

		@Cached(ttl = "not a duration")
		public String find(long id) {
			return "find " + id;
		}

		@CacheInvalidate(name = "nobody")
		public void evict(long id) {
			this.evictions.incrementAndGet();
		}

	}

}
