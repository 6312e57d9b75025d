package dev.cached.autoconfigure.refresh;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Refresher;
import dev.cached.key.CacheKey;
import dev.cached.refresh.BackgroundRefreshers;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.system.JavaVersion;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for {@link CachedRefreshAutoConfiguration}: the refresh executor, reloads through
 * the proxy chain, and the startup errors of the three expiry-stampede settings.
 */
class CachedRefreshAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
				CachedAutoConfiguration.class, CachedRefreshAutoConfiguration.class))
		.withUserConfiguration(ServiceConfiguration.class);

	@Test
	void runShouldCreateABoundedRefreshExecutorBesideBootsTaskExecutor() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(Refresher.Factory.class)
				.hasBean(CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME)
				.hasBean("applicationTaskExecutor");
			assertThat(context.getBean(Refresher.Factory.class)).isInstanceOf(BackgroundRefreshers.class);
			ThreadPoolTaskExecutor executor = context.getBean(CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME,
					ThreadPoolTaskExecutor.class);
			assertThat(executor.getMaxPoolSize()).isEqualTo(CachedRefreshAutoConfiguration.THREADS);
			assertThat(executor.getQueueCapacity()).isEqualTo(CachedRefreshAutoConfiguration.QUEUE_CAPACITY);
			assertThat(executor.getThreadNamePrefix()).isEqualTo("cached-refresh-");
			assertThat(context.getBean(TaskExecutor.class)).isSameAs(context.getBean("applicationTaskExecutor"));
		});
	}

	@Test
	void virtualThreadsEnabledGiveABoundedVirtualThreadExecutor() {
		assumeTrue(JavaVersion.getJavaVersion().isEqualOrNewerThan(JavaVersion.TWENTY_ONE), "virtual threads");
		this.contextRunner.withPropertyValues("spring.threads.virtual.enabled=true").run((context) -> {
			SimpleAsyncTaskExecutor executor = context.getBean(
					CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME, SimpleAsyncTaskExecutor.class);
			assertThat(executor.getConcurrencyLimit())
				.isEqualTo(CachedRefreshAutoConfiguration.VIRTUAL_CONCURRENCY_LIMIT);
			List<Thread> ran = new CopyOnWriteArrayList<>();
			executor.execute(() -> ran.add(Thread.currentThread()));
			await().until(() -> ran.size() == 1);
			assertThat(Thread.class.getMethod("isVirtual").invoke(ran.get(0))).isEqualTo(true);
		});
	}

	@Test
	void userBeanNamedCachedRefreshExecutorReplacesOurs() {
		this.contextRunner.withUserConfiguration(UserExecutorConfiguration.class).run((context) -> {
			assertThat(context.getBean(CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME))
				.isInstanceOf(SyncTaskExecutor.class);
			assertThat(context).doesNotHaveBean(ThreadPoolTaskExecutor.class.getName());
		});
	}

	@Test
	void disabledCreatesNoRefreshExecutor() {
		this.contextRunner.withPropertyValues("cached.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME)
				.doesNotHaveBean(Refresher.Factory.class);
		});
	}

	/**
	 * A stale read returns the stored value and the reload runs on the refresh executor
	 * through the rest of the advice chain: here a real {@code @Transactional}, whose
	 * transaction is open around the reload on the executor's thread.
	 */
	@Test
	void reloadRunsOnTheRefreshExecutorThroughTheAdviceChain() {
		this.contextRunner.withUserConfiguration(TransactionConfiguration.class)
			.withPropertyValues("cached.caches.[RuleService.getAllRules].refresh-after=1ns")
			.run((context) -> {
				RuleService service = context.getBean(RuleService.class);
				assertThat(service.getAllRules()).containsExactly("rules 1");
				assertThat(service.getAllRules()).containsExactly("rules 1");
				await().until(() -> service.calls().size() == 2);
				CachedCache cache = context.getBean(CacheRegistry.class).getCache("RuleService.getAllRules");
				await().until(() -> cache.getStatistics().refreshSuccesses() == 1);
				Call reload = service.calls().get(1);
				assertThat(reload.thread().getName()).startsWith("cached-refresh-");
				assertThat(reload.inTransaction()).isTrue();
				assertThat(service.calls().get(0).inTransaction()).isTrue();
				assertThat(context.getBean(CountingTransactionManager.class).commits).hasValue(2);
				assertThat(service.getAllRules()).containsExactly("rules 2");
			});
	}

	@Test
	void asynchronousMethodReloadsOnTheRefreshExecutorAndKeepsTheStoredValueUntilItsFutureCompletes() {
		this.contextRunner.withBean(AsyncRuleService.class)
			.withPropertyValues("cached.caches.[AsyncRuleService.getAllRules].refresh-after=1ns")
			.run((context) -> {
				AsyncRuleService service = context.getBean(AsyncRuleService.class);
				assertThat(service.getAllRules().get()).isEqualTo("rules 1");
				assertThat(service.getAllRules().get()).isEqualTo("rules 1");
				CachedCache cache = context.getBean(CacheRegistry.class).getCache("AsyncRuleService.getAllRules");
				await().until(() -> cache.getStatistics().refreshSuccesses() == 1);
				assertThat(service.threads().get(1).getName()).startsWith("cached-refresh-");
				assertThat(cache.peek(CacheKey.EMPTY)).isEqualTo("rules 2");
			});
	}

	@Test
	void refreshAfterWithoutTtlFailsStartupNamingTheCacheAndTheValue() {
		this.contextRunner.withBean(NoTtlService.class)
			.withPropertyValues("cached.caches.[NoTtlService.find].refresh-after=1m")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessage("@Cached on method '" + NoTtlService.class.getName() + ".find()' uses cache "
						+ "'NoTtlService.find', whose refresh-after 1m (cached.caches.[NoTtlService.find]"
						+ ".refresh-after) needs a ttl, but the cache has none; set a ttl above 1m or remove "
						+ "refresh-after"));
	}

	@Test
	void refreshAfterNotBelowTheTtlFailsStartupNamingTheCacheAndBothValues() {
		this.contextRunner.withPropertyValues("cached.defaults.refresh-after=15m", "cached.defaults.ttl=20m")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessage("@Cached on method '" + RuleService.class.getName() + ".getAllRules()' uses cache "
						+ "'RuleService.getAllRules', whose refresh-after 15m (cached.defaults.refresh-after) is not "
						+ "below its ttl 10m (annotation); set refresh-after below the ttl"));
	}

	@Test
	void nonPositiveRefreshAfterFailsStartup() {
		this.contextRunner.withPropertyValues("cached.defaults.refresh-after=0s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.defaults.refresh-after with value 'PT0S' is invalid: It must be "
						+ "positive (and below the cache's ttl)."));
	}

	@Test
	void ttlJitterOutsideZeroToAHalfFailsStartupNamingTheCacheAndTheValue() {
		this.contextRunner.withPropertyValues("cached.caches.[RuleService.getAllRules].ttl-jitter=0.6")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.caches.[RuleService.getAllRules].ttl-jitter with value '0.6' is "
						+ "invalid: It must be a fraction between 0 and 0.5 (e.g. 0.1 for ttl +/- 10%)."));
		this.contextRunner.withPropertyValues("cached.defaults.ttl-jitter=-0.1")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("cached.defaults.ttl-jitter with value '-0.1' is invalid"));
	}

	@Test
	void earlyRefreshBetaNotAboveZeroFailsStartupNamingTheCacheAndTheValue() {
		this.contextRunner.withPropertyValues("cached.caches.[RuleService.getAllRules].early-refresh-beta=0")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessage("Property cached.caches.[RuleService.getAllRules].early-refresh-beta with value '0.0' "
						+ "is invalid: It must be a number above 0 (1.0 is the usual choice)."));
		this.contextRunner.withPropertyValues("cached.defaults.early-refresh-beta=-1")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("cached.defaults.early-refresh-beta with value '-1.0' is invalid"));
	}

	@Test
	void validSettingsStartAndAreResolved() {
		this.contextRunner
			.withPropertyValues("cached.defaults.ttl=10m", "cached.defaults.ttl-jitter=0.5",
					"cached.defaults.early-refresh-beta=1", "cached.caches.[RuleService.getAllRules].refresh-after=9m")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				context.getBean(RuleService.class).getAllRules();
				CachedCache cache = context.getBean(CacheRegistry.class).getCache("RuleService.getAllRules");
				assertThat(cache.getSettings().isRefreshing()).isTrue();
				assertThat(cache.getSettings().jitter()).isEqualTo(0.5);
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class ServiceConfiguration {

		@Bean
		RuleService ruleService() {
			return new RuleService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserExecutorConfiguration {

		@Bean
		Executor cachedRefreshExecutor() {
			return new SyncTaskExecutor();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement
	static class TransactionConfiguration {

		@Bean
		CountingTransactionManager transactionManager() {
			return new CountingTransactionManager();
		}

	}

	record Call(Thread thread, boolean inTransaction) {
	}

	static class NoTtlService {

		@Cached
		public String find() {
			return "found";
		}

	}

	static class AsyncRuleService {

		private final List<Thread> threads = new CopyOnWriteArrayList<>();

		List<Thread> threads() {
			return this.threads;
		}

		@Cached(ttl = "10m")
		public CompletableFuture<String> getAllRules() {
			this.threads.add(Thread.currentThread());
			return CompletableFuture.completedFuture("rules " + this.threads.size());
		}

	}

	static class RuleService {

		private final List<Call> calls = new CopyOnWriteArrayList<>();

		List<Call> calls() {
			return this.calls;
		}

		@Cached(ttl = "10m")
		@Transactional
		public List<String> getAllRules() {
			this.calls.add(new Call(Thread.currentThread(), TransactionSynchronizationManager.isActualTransactionActive()));
			return List.of("rules " + this.calls.size());
		}

	}

	/**
	 * A transaction manager without a resource: it counts the transactions Spring's
	 * transaction interceptor opens and commits.
	 */
	static class CountingTransactionManager extends AbstractPlatformTransactionManager {

		private static final long serialVersionUID = 1L;

		final AtomicInteger commits = new AtomicInteger();

		@Override
		protected Object doGetTransaction() {
			return new Object();
		}

		@Override
		protected void doBegin(Object transaction, TransactionDefinition definition) {
		}

		@Override
		protected void doCommit(DefaultTransactionStatus status) {
			this.commits.incrementAndGet();
		}

		@Override
		protected void doRollback(DefaultTransactionStatus status) {
		}

	}

}
