package dev.cached.autoconfigure.refresh;

import java.util.concurrent.Executor;

import dev.cached.engine.Refresher;
import dev.cached.refresh.BackgroundRefreshers;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnThreading;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * Auto-configuration of refresh-ahead ({@code refresh-after}, {@code early-refresh-beta}):
 * background reloads run on the {@link TaskExecutor} bean named
 * {@value #REFRESH_EXECUTOR_BEAN_NAME}. The one defined here is bounded: a pool of
 * platform threads with a bounded queue, or, with
 * {@code spring.threads.virtual.enabled=true}, virtual threads up to a concurrency limit;
 * a reload it refuses is counted as a failed refresh, and the next stale read tries
 * again. A bean of that name replaces it. It is no default candidate, so it neither
 * replaces Boot's {@code applicationTaskExecutor} nor is injected where an
 * {@code Executor} is asked for.
 */
@AutoConfiguration(after = TaskExecutionAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cached.enabled", matchIfMissing = true)
@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
public final class CachedRefreshAutoConfiguration {

	/** The name of the executor bean that runs background reloads. */
	public static final String REFRESH_EXECUTOR_BEAN_NAME = "cachedRefreshExecutor";

	/** Threads of the platform pool, and the concurrency limit of virtual threads. */
	static final int THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

	/** Reloads waiting for a platform thread beyond which reloads are refused. */
	static final int QUEUE_CAPACITY = 10_000;

	/** Reloads running on virtual threads at once beyond which reloads are refused. */
	static final int VIRTUAL_CONCURRENCY_LIMIT = 256;

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static Refresher.Factory cachedRefreshers(BeanFactory beanFactory) {
		// the executor is looked up at the first reload, not while the caches are created
		return new BackgroundRefreshers(() -> beanFactory.getBean(REFRESH_EXECUTOR_BEAN_NAME, Executor.class));
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnThreading(Threading.PLATFORM)
	@ConditionalOnMissingBean(name = REFRESH_EXECUTOR_BEAN_NAME)
	static class PlatformThreadsExecutorConfiguration {

		@Bean(name = REFRESH_EXECUTOR_BEAN_NAME, defaultCandidate = false)
		ThreadPoolTaskExecutor cachedRefreshExecutor() {
			ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
			executor.setThreadNamePrefix("cached-refresh-");
			executor.setCorePoolSize(THREADS);
			executor.setMaxPoolSize(THREADS);
			executor.setQueueCapacity(QUEUE_CAPACITY);
			executor.setAllowCoreThreadTimeOut(true);
			executor.setDaemon(true);
			return executor;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnThreading(Threading.VIRTUAL)
	@ConditionalOnMissingBean(name = REFRESH_EXECUTOR_BEAN_NAME)
	static class VirtualThreadsExecutorConfiguration {

		@Bean(name = REFRESH_EXECUTOR_BEAN_NAME, defaultCandidate = false)
		SimpleAsyncTaskExecutor cachedRefreshExecutor() {
			SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("cached-refresh-");
			executor.setVirtualThreads(true);
			executor.setConcurrencyLimit(VIRTUAL_CONCURRENCY_LIMIT);
			executor.setRejectTasksWhenLimitReached(true);
			return executor;
		}

	}

}
