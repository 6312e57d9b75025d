package dev.cached.async;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.metrics.CachedMetricsAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.cached.testing.Awaits.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @Cached} methods that return {@link CompletableFuture} or {@link CompletionStage},
 * through real Spring AOP proxies created by the auto-configuration.
 */
class CompletionStageAdapterTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean(QuoteService.class);

	@Test
	void concurrentCallsOfAColdKeyShareOneExecutionAndEachGetsItsOwnFuture() {
		run((context, quotes) -> {
			List<CompletableFuture<String>> calls = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				calls.add(quotes.quote(1));
			}
			assertThat(quotes.calls("quote")).isEqualTo(1);
			assertThat(quotes.thread("quote")).isSameAs(Thread.currentThread());
			assertThat(calls).doesNotHaveDuplicates().doesNotContain(quotes.pending(1L));
			assertThat(calls).noneMatch(CompletableFuture::isDone);
			quotes.pending(1L).complete("quote 1");
			for (CompletableFuture<String> call : calls) {
				assertThat(value(call)).isEqualTo("quote 1");
			}
			CompletableFuture<String> hit = quotes.quote(1);
			assertThat(hit.isDone()).isTrue();
			assertThat(value(hit)).isEqualTo("quote 1");
			assertThat(quotes.calls("quote")).isEqualTo(1);
			CacheStatistics statistics = cache(context, "QuoteService.quote").getStatistics();
			assertThat(statistics.hits()).isEqualTo(3);
			assertThat(statistics.misses()).isEqualTo(1);
			assertThat(statistics.coalesced()).isEqualTo(2);
			assertThat(statistics.loadSuccesses()).isEqualTo(1);
		});
	}

	@Test
	void metersCountAsynchronousCallsLikeTheOthers() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(CachedMetricsAutoConfiguration.class))
			.withBean(SimpleMeterRegistry.class)
			.run((context) -> {
				QuoteService quotes = context.getBean(QuoteService.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				List<CompletableFuture<String>> calls = new ArrayList<>();
				for (int i = 0; i < 3; i++) {
					calls.add(quotes.quote(5));
				}
				assertThat(registry.get("cache.inflight").tag("cache", "QuoteService.quote").gauge().value())
					.isEqualTo(1);
				quotes.pending(5).complete("quote 5");
				for (CompletableFuture<String> call : calls) {
					assertThat(value(call)).isEqualTo("quote 5");
				}
				assertThat(value(quotes.quote(5))).isEqualTo("quote 5");
				assertThat(count(registry, "cache.gets", "result", "hit")).isEqualTo(3);
				assertThat(count(registry, "cache.gets", "result", "miss")).isEqualTo(1);
				assertThat(count(registry, "cache.coalesced")).isEqualTo(2);
				assertThat(count(registry, "cache.load", "result", "success")).isEqualTo(1);
				assertThat(count(registry, "cache.puts")).isEqualTo(1);
				assertThat(registry.get("cache.inflight").tag("cache", "QuoteService.quote").gauge().value())
					.isZero();
			});
	}

	private static double count(MeterRegistry registry, String name, String... tags) {
		return registry.get(name).tag("cache", "QuoteService.quote").tags(tags).functionCounter().count();
	}

	@Test
	void completionStageMethodIsCached() {
		run((context, quotes) -> {
			assertThat(value(quotes.stage(2).toCompletableFuture())).isEqualTo("stage 2");
			assertThat(value(quotes.stage(2).toCompletableFuture())).isEqualTo("stage 2");
			assertThat(quotes.calls("stage")).isEqualTo(1);
			assertThat(cache(context, "QuoteService.stage").peek(2L)).isEqualTo("stage 2");
		});
	}

	@Test
	void exceptionalCompletionReachesTheCallerUnwrappedAndIsNotStored() {
		run((context, quotes) -> {
			IOException failure = new IOException("quote service down");
			assertThat(failure(quotes.failing(failure))).isSameAs(failure);
			assertThat(failure(quotes.failing(failure))).isSameAs(failure);
			assertThat(quotes.calls("failing")).isEqualTo(2);
			assertThat(cache(context, "QuoteService.failing").estimatedSize()).isZero();
		});
	}

	@Test
	void unlessSeesTheEventualValue() {
		run((context, quotes) -> {
			assertThat(value(quotes.vetoed("skip"))).isEqualTo("skip");
			assertThat(value(quotes.vetoed("keep"))).isEqualTo("keep");
			CachedCache cache = cache(context, "QuoteService.vetoed");
			assertThat(cache.peek("skip")).isNull();
			assertThat(cache.peek("keep")).isEqualTo("keep");
		});
	}

	@Test
	void falseConditionReturnsTheMethodsOwnFuture() {
		run((context, quotes) -> {
			CompletableFuture<String> bypassed = quotes.conditional(-1);
			assertThat(bypassed).isSameAs(quotes.pending(-1L));
			assertThat(cache(context, "QuoteService.conditional").getStatistics().misses()).isZero();
		});
	}

	@Test
	void cancellingACallersFutureCancelsNeitherTheMethodsFutureNorAnotherCaller() {
		run((context, quotes) -> {
			CompletableFuture<String> first = quotes.quote(3);
			CompletableFuture<String> second = quotes.quote(3);
			assertThat(first.cancel(true)).isTrue();
			assertThat(quotes.pending(3L).isCancelled()).isFalse();
			quotes.pending(3L).complete("quote 3");
			assertThat(value(second)).isEqualTo("quote 3");
			assertThat(cache(context, "QuoteService.quote").peek(3L)).isEqualTo("quote 3");
		});
	}

	@Test
	void nullCompletionIsNotStoredWithoutCacheNullValues() {
		this.contextRunner.withPropertyValues("cached.defaults.cache-null-values=false").run((context) -> {
			QuoteService quotes = context.getBean(QuoteService.class);
			assertThat(value(quotes.nothing(1))).isNull();
			assertThat(value(quotes.nothing(1))).isNull();
			assertThat(quotes.calls("nothing")).isEqualTo(2);
		});
	}

	private void run(ContextCallback callback) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			callback.accept(context, context.getBean(QuoteService.class));
		});
	}

	private static CachedCache cache(AssertableApplicationContext context, String name) {
		CachedCache cache = context.getBean(CacheRegistry.class).getCache(name);
		assertThat(cache).as("cache %s", name).isNotNull();
		return cache;
	}

	private static <T> @Nullable T value(CompletableFuture<T> future) throws Exception {
		return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
	}

	private static Throwable failure(CompletableFuture<?> future) throws Exception {
		Throwable failure = future.handle((value, error) -> error).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(failure).isNotNull();
		return failure;
	}

	@FunctionalInterface
	interface ContextCallback {

		void accept(AssertableApplicationContext context, QuoteService quotes) throws Exception;

	}

	static class QuoteService {

		private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

		final Map<String, Thread> threads = new ConcurrentHashMap<>();

		/** The method's own futures, by argument, for the test to complete. */
		final Map<Long, CompletableFuture<String>> pending = new ConcurrentHashMap<>();

		public CompletableFuture<String> pending(long id) {
			return this.pending.get(id);
		}

		public @Nullable Thread thread(String method) {
			return this.threads.get(method);
		}

		public int calls(String method) {
			AtomicInteger count = this.calls.get(method);
			return (count != null) ? count.get() : 0;
		}

		private void called(String method) {
			this.calls.computeIfAbsent(method, (name) -> new AtomicInteger()).incrementAndGet();
			this.threads.put(method, Thread.currentThread());
		}

		@Cached
		public CompletableFuture<String> quote(long id) {
			called("quote");
			CompletableFuture<String> future = new CompletableFuture<>();
			this.pending.put(id, future);
			return future;
		}

		@Cached
		public CompletionStage<String> stage(long id) {
			called("stage");
			return CompletableFuture.supplyAsync(() -> "stage " + id);
		}

		@Cached
		public CompletableFuture<String> failing(IOException failure) {
			called("failing");
			return CompletableFuture.failedFuture(failure);
		}

		@Cached(unless = "#result == 'skip'")
		public CompletableFuture<String> vetoed(String value) {
			called("vetoed");
			return CompletableFuture.completedFuture(value);
		}

		@Cached(condition = "#id > 0")
		public CompletableFuture<String> conditional(long id) {
			called("conditional");
			CompletableFuture<String> future = new CompletableFuture<>();
			this.pending.put(id, future);
			return future;
		}

		@Cached
		public CompletableFuture<@Nullable String> nothing(long id) {
			called("nothing");
			return CompletableFuture.completedFuture(null);
		}

	}

}
