package dev.cached.async.reactor;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import dev.cached.key.CacheKey;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.cached.testing.Awaits.TIMEOUT;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @Cached} methods that return {@link Mono} or {@link Flux}, through real Spring AOP
 * proxies created by the auto-configuration: lazy, one subscription to the method's
 * publisher per load, every subscriber its own; a load runs with the Reactor
 * {@code Context} of the subscription that started it (a {@code contextWrite} as a
 * {@code WebFilter} makes it), and a joined subscriber gets that load's outcome whatever
 * its own {@code Context}.
 */
class ReactorAdaptersTests {

	private static final String TENANT = "tenant";

	private static final String NONE = "<none>";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean(PriceService.class);

	@Test
	void monoIsLazyAndItsPublisherIsSubscribedOncePerLoad() {
		run((context, prices) -> {
			Mono<String> first = prices.price(1);
			Mono<String> second = prices.price(1);
			Mono<String> neverSubscribed = prices.price(1);
			assertThat(neverSubscribed).isNotNull();
			assertThat(prices.calls("price")).isZero();
			CompletableFuture<String> firstValue = first.toFuture();
			CompletableFuture<String> secondValue = second.toFuture();
			assertThat(prices.calls("price")).isEqualTo(1);
			assertThat(prices.subscriptions()).isEqualTo(1);
			prices.sink(1).tryEmitValue("price 1");
			assertThat(value(firstValue)).isEqualTo("price 1");
			assertThat(value(secondValue)).isEqualTo("price 1");
			assertThat(value(prices.price(1).toFuture())).isEqualTo("price 1");
			assertThat(prices.calls("price")).isEqualTo(1);
			assertThat(prices.subscriptions()).isEqualTo(1);
			CacheStatistics statistics = cache(context, "PriceService.price").getStatistics();
			assertThat(statistics.misses()).isEqualTo(1);
			assertThat(statistics.hits()).isEqualTo(2);
			assertThat(statistics.coalesced()).isEqualTo(1);
		});
	}

	@Test
	void disposingASubscriptionCancelsNeitherTheLoadNorAnotherSubscriber() {
		run((context, prices) -> {
			Disposable disposed = prices.price(2).subscribe();
			CompletableFuture<String> other = prices.price(2).toFuture();
			disposed.dispose();
			assertThat(prices.cancellations()).isZero();
			prices.sink(2).tryEmitValue("price 2");
			assertThat(value(other)).isEqualTo("price 2");
			assertThat(cache(context, "PriceService.price").peek(2L)).isEqualTo("price 2");
			assertThat(prices.cancellations()).isZero();
		});
	}

	@Test
	void errorIsSharedWithTheSubscribersAndNotStored() {
		run((context, prices) -> {
			IllegalStateException failure = new IllegalStateException("no price");
			CompletableFuture<String> first = prices.price(3).toFuture();
			CompletableFuture<String> second = prices.price(3).toFuture();
			prices.sink(3).tryEmitError(failure);
			assertThat(failure(first)).isSameAs(failure);
			assertThat(failure(second)).isSameAs(failure);
			assertThat(prices.calls("price")).isEqualTo(1);
			assertThat(cache(context, "PriceService.price").peek(3L)).isNull();
		});
	}

	@Test
	void emptyMonoIsANullValueStoredWithCacheNullValues() {
		run((context, prices) -> {
			assertThat(value(prices.missing(1).toFuture())).isNull();
			assertThat(value(prices.missing(1).toFuture())).isNull();
			assertThat(prices.calls("missing")).isEqualTo(1);
			assertThat(cache(context, "PriceService.missing").peek(1L)).isNotNull();
		});
	}

	@Test
	void emptyMonoIsNotStoredWithoutCacheNullValues() {
		this.contextRunner.withPropertyValues("cached.defaults.cache-null-values=false").run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(value(prices.missing(1).toFuture())).isNull();
			assertThat(value(prices.missing(1).toFuture())).isNull();
			assertThat(prices.calls("missing")).isEqualTo(2);
			assertThat(cache(context, "PriceService.missing").estimatedSize()).isZero();
		});
	}

	@Test
	void fluxIsCollectedOnceAndReplayedToEverySubscriber() {
		run((context, prices) -> {
			Flux<String> history = prices.history("abc");
			assertThat(prices.calls("history")).isZero();
			assertThat(value(history.collectList().toFuture())).containsExactly("a", "b", "c");
			assertThat(value(prices.history("abc").collectList().toFuture())).containsExactly("a", "b", "c");
			assertThat(prices.calls("history")).isEqualTo(1);
			assertThat(prices.subscriptions()).isEqualTo(1);
			assertThat(cache(context, "PriceService.history").peek("abc")).isEqualTo(List.of("a", "b", "c"));
		});
	}

	@Test
	void sameMonoSubscribedAgainAfterAnInvalidationRunsTheMethodAgain() {
		run((context, prices) -> {
			Mono<String> counted = prices.counted();
			assertThat(value(counted.toFuture())).isEqualTo("counted 1");
			assertThat(value(counted.toFuture())).isEqualTo("counted 1");
			cache(context, "PriceService.counted").invalidate(CacheKey.EMPTY);
			assertThat(value(counted.toFuture())).isEqualTo("counted 2");
			assertThat(prices.calls("counted")).isEqualTo(2);
		});
	}

	@Test
	void monoLoadRunsOnTheSubscribingThread() {
		run((context, prices) -> {
			Thread subscriber = new Thread(() -> prices.counted().subscribe(), "subscriber");
			subscriber.start();
			await().until(() -> prices.thread("counted") != null);
			assertThat(prices.thread("counted")).isSameAs(subscriber);
		});
	}

	@Test
	void monoRunsWithTheContextOfTheSubscriptionThatStartedTheLoad() {
		run((context, prices) -> {
			CompletableFuture<String> owner = prices.tenantPrice(1).contextWrite(Context.of(TENANT, "a")).toFuture();
			CompletableFuture<String> joiner = prices.tenantPrice(1).contextWrite(Context.of(TENANT, "b")).toFuture();
			CacheStatistics statistics = cache(context, "PriceService.tenantPrice").getStatistics();
			await().until(() -> statistics.coalesced() == 1);
			assertThat(prices.tenants()).containsExactly("a");
			prices.tenantSink("a").tryEmitValue("price 1");
			assertThat(value(owner)).isEqualTo("price 1 for a");
			assertThat(value(joiner)).isEqualTo("price 1 for a");
			assertThat(value(prices.tenantPrice(1).contextWrite(Context.of(TENANT, "c")).toFuture()))
				.isEqualTo("price 1 for a");
			assertThat(value(prices.tenantPrice(1).toFuture())).isEqualTo("price 1 for a");
			assertThat(prices.calls("tenantPrice")).isEqualTo(1);
			assertThat(prices.tenants()).containsExactly("a");
			assertThat(statistics.misses()).isEqualTo(1);
			assertThat(statistics.hits()).isEqualTo(3);
		});
	}

	@Test
	void monoWithoutContextRunsWithAnEmptyContext() {
		run((context, prices) -> {
			CompletableFuture<String> owner = prices.tenantPrice(2).toFuture();
			CompletableFuture<String> joiner = prices.tenantPrice(2).contextWrite(Context.of(TENANT, "b")).toFuture();
			await().until(() -> cache(context, "PriceService.tenantPrice").getStatistics().coalesced() == 1);
			prices.tenantSink(NONE).tryEmitValue("price 2");
			assertThat(value(owner)).isEqualTo("price 2 for " + NONE);
			assertThat(value(joiner)).isEqualTo("price 2 for " + NONE);
			assertThat(prices.tenants()).containsExactly(NONE);
		});
	}

	@Test
	void fluxRunsWithTheContextOfTheSubscriptionThatStartedTheLoad() {
		run((context, prices) -> {
			CompletableFuture<List<String>> owner = prices.tenantHistory("xy")
				.contextWrite(Context.of(TENANT, "a"))
				.collectList()
				.toFuture();
			CompletableFuture<List<String>> joiner = prices.tenantHistory("xy")
				.contextWrite(Context.of(TENANT, "b"))
				.collectList()
				.toFuture();
			await().until(() -> cache(context, "PriceService.tenantHistory").getStatistics().coalesced() == 1);
			prices.tenantSink("a").tryEmitValue("history");
			assertThat(value(owner)).containsExactly("x for a", "y for a");
			assertThat(value(joiner)).containsExactly("x for a", "y for a");
			assertThat(value(prices.tenantHistory("xy").contextWrite(Context.of(TENANT, "c")).collectList().toFuture()))
				.containsExactly("x for a", "y for a");
			assertThat(prices.calls("tenantHistory")).isEqualTo(1);
			assertThat(prices.tenants()).containsExactly("a");
		});
	}

	@Test
	void joinedSubscriberWhoseWaitTimesOutRunsTheMethodWithItsOwnContext() {
		this.contextRunner.withPropertyValues("cached.defaults.wait-timeout=50ms").run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CompletableFuture<String> owner = prices.tenantPrice(3).contextWrite(Context.of(TENANT, "a")).toFuture();
			CompletableFuture<String> joiner = prices.tenantPrice(3).contextWrite(Context.of(TENANT, "b")).toFuture();
			await().until(() -> prices.tenants().size() == 2);
			assertThat(prices.tenants()).containsExactly("a", "b");
			prices.tenantSink("b").tryEmitValue("price 3");
			assertThat(value(joiner)).isEqualTo("price 3 for b");
			assertThat(cache(context, "PriceService.tenantPrice").peek(3L)).isNull();
			prices.tenantSink("a").tryEmitValue("price 3");
			assertThat(value(owner)).isEqualTo("price 3 for a");
			assertThat(cache(context, "PriceService.tenantPrice").peek(3L)).isEqualTo("price 3 for a");
		});
	}

	private void run(ContextCallback callback) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			callback.accept(context, context.getBean(PriceService.class));
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

		void accept(AssertableApplicationContext context, PriceService prices) throws Exception;

	}

	static class PriceService {

		private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

		private final Map<String, Sinks.One<String>> tenantSinks = new ConcurrentHashMap<>();

		/** The tenant each run of a method saw in its Reactor Context, in order. */
		private final List<String> tenants = new CopyOnWriteArrayList<>();

		private final Map<Long, Sinks.One<String>> sinks = new ConcurrentHashMap<>();

		final Map<String, Thread> threads = new ConcurrentHashMap<>();

		final AtomicInteger subscriptions = new AtomicInteger();

		final AtomicInteger cancellations = new AtomicInteger();

		public int subscriptions() {
			return this.subscriptions.get();
		}

		public int cancellations() {
			return this.cancellations.get();
		}

		public @Nullable Thread thread(String method) {
			return this.threads.get(method);
		}

		public int calls(String method) {
			AtomicInteger count = this.calls.get(method);
			return (count != null) ? count.get() : 0;
		}

		private int called(String method) {
			this.threads.put(method, Thread.currentThread());
			return this.calls.computeIfAbsent(method, (name) -> new AtomicInteger()).incrementAndGet();
		}

		public List<String> tenants() {
			return this.tenants;
		}

		public Sinks.One<String> tenantSink(String tenant) {
			return this.tenantSinks.computeIfAbsent(tenant, (key) -> Sinks.one());
		}

		/** What a run of a method reads in the Context, as a WebFilter's contextWrite would put it. */
		private Mono<String> tenant() {
			return Mono.deferContextual((view) -> {
				String tenant = view.getOrDefault(TENANT, NONE);
				this.tenants.add(tenant);
				return Mono.just(tenant);
			});
		}

		public Sinks.One<String> sink(long id) {
			return this.sinks.computeIfAbsent(id, (key) -> Sinks.one());
		}

		@Cached
		public Mono<String> price(long id) {
			called("price");
			return sink(id).asMono()
				.doOnSubscribe((subscription) -> this.subscriptions.incrementAndGet())
				.doOnCancel(this.cancellations::incrementAndGet);
		}

		@Cached
		public Mono<String> missing(long id) {
			called("missing");
			return Mono.empty();
		}

		@Cached
		public Flux<String> history(String letters) {
			called("history");
			return Flux.fromArray(letters.split("")).doOnSubscribe((subscription) -> this.subscriptions.incrementAndGet());
		}

		@Cached
		public Mono<String> tenantPrice(long id) {
			called("tenantPrice");
			return tenant().flatMap((tenant) -> tenantSink(tenant).asMono().map((price) -> price + " for " + tenant));
		}

		@Cached
		public Flux<String> tenantHistory(String letters) {
			called("tenantHistory");
			return tenant().flatMapMany((tenant) -> tenantSink(tenant).asMono()
				.thenMany(Flux.fromArray(letters.split("")).map((letter) -> letter + " for " + tenant)));
		}

		@Cached
		public Mono<String> counted() {
			int call = called("counted");
			return Mono.just("counted " + call);
		}

	}

}
