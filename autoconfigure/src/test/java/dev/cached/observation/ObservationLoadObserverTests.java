package dev.cached.observation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.async.AsyncMethod;
import dev.cached.async.reactor.ReactorAdapters;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import dev.cached.engine.Refresher;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.Context;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The observations of the engine's executions and waits, in a
 * {@link TestObservationRegistry}: one {@code cached.load} per execution with its trigger
 * ({@code miss}, {@code takeover}, {@code timeout}, {@code refresh}) and result, one
 * {@code cached.wait} per joined caller with its outcome ({@code value}, {@code failure},
 * {@code timeout}, {@code interrupted}, {@code cancelled}); hits are not observed; a Mono's
 * load belongs to the observation of the subscription that started it and is the current
 * observation of the method's publisher.
 */
class ObservationLoadObserverTests {

	private static final Duration LONG = Duration.ofSeconds(30);

	private final TestObservationRegistry registry = TestObservationRegistry.create();

	private final ExecutorService threads = Executors.newCachedThreadPool();

	/** Every context whose observation started, in order. */
	private final List<Observation.Context> started = new CopyOnWriteArrayList<>();

	@BeforeEach
	void recordStartedObservations() {
		this.registry.observationConfig().observationHandler(new ObservationHandler<>() {

			@Override
			public void onStart(Observation.Context context) {
				ObservationLoadObserverTests.this.started.add(context);
			}

			@Override
			public boolean supportsContext(Observation.Context context) {
				return true;
			}

		});
	}

	@AfterEach
	void stopThreads() {
		this.threads.shutdownNow();
	}

	@Test
	void sixtyFourCallersOnAColdKeyGiveOneLoadAndSixtyThreeWaitsThatGetTheValue() throws Exception {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		CountDownLatch release = new CountDownLatch(1);
		AtomicInteger executions = new AtomicInteger();
		List<Future<@Nullable Object>> calls = new ArrayList<>();
		for (int i = 0; i < 64; i++) {
			calls.add(get(cache, (context) -> {
				executions.incrementAndGet();
				release.await(30, TimeUnit.SECONDS);
				return "1.00";
			}, "call"));
		}
		await().atMost(LONG).until(() -> cache.getStatistics().coalesced() == 63);
		release.countDown();
		for (Future<@Nullable Object> call : calls) {
			assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("1.00");
		}
		assertThat(executions).hasValue(1);
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("cached.load", 1)
			.hasNumberOfObservationsWithNameEqualTo("cached.wait", 63)
			.hasObservationWithNameEqualTo("cached.load")
			.that()
			.hasContextualNameEqualTo("cached.load prices")
			.hasLowCardinalityKeyValue("cache", "prices")
			.hasLowCardinalityKeyValue("trigger", "miss")
			.hasLowCardinalityKeyValue("result", "success")
			.hasBeenStopped();
		CachedLoadContext load = loads().get(0);
		assertThat(waits()).hasSize(63).allSatisfy((wait) -> {
			assertThat(wait.getLowCardinalityKeyValue("cache").getValue()).isEqualTo("prices");
			assertThat(wait.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("value");
			assertThat(wait.getLoadContext()).isSameAs(load);
			assertThat(wait.getError()).isNull();
		});
	}

	@Test
	void aHitIsNotObserved() throws Throwable {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		cache.get("EUR", (context) -> "1.00", "call");
		cache.get("EUR", (context) -> "1.00", "call");
		cache.get("EUR", (context) -> "1.00", "call");
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("cached.load", 1)
			.hasNumberOfObservationsWithNameEqualTo("cached.wait", 0);
	}

	@Test
	void aSharedFailureIsALoadThatFailedAndAWaitThatGotTheFailure() throws Exception {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		IllegalStateException failure = new IllegalStateException("no price");
		CountDownLatch release = new CountDownLatch(1);
		Future<?> owner = get(cache, (context) -> {
			release.await(30, TimeUnit.SECONDS);
			throw failure;
		}, "owner");
		await().atMost(LONG).until(() -> cache.inFlightKeys() == 1);
		Future<?> joiner = get(cache, (context) -> "never", "joiner");
		await().atMost(LONG).until(() -> cache.getStatistics().coalesced() == 1);
		release.countDown();
		assertThatThrownBy(() -> owner.get(30, TimeUnit.SECONDS)).hasCause(failure);
		assertThatThrownBy(() -> joiner.get(30, TimeUnit.SECONDS)).hasCause(failure);
		assertThat(loads()).singleElement().satisfies((load) -> {
			assertThat(load.getLowCardinalityKeyValue("result").getValue()).isEqualTo("failure");
			assertThat(load.getError()).isSameAs(failure);
		});
		assertThat(waits()).singleElement().satisfies((wait) -> {
			assertThat(wait.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("failure");
			assertThat(wait.getError()).isSameAs(failure);
		});
	}

	@Test
	void aWaitThatTimesOutEndsAsTimeoutAndItsOwnRunIsATimeoutLoad() throws Exception {
		CachedCache cache = cache("prices", spec(Duration.ofMillis(50)));
		CountDownLatch release = new CountDownLatch(1);
		Future<?> owner = get(cache, (context) -> {
			release.await(30, TimeUnit.SECONDS);
			return "owner's";
		}, "owner");
		await().atMost(LONG).until(() -> cache.inFlightKeys() == 1);
		assertThat(get(cache, (context) -> "joiner's", "joiner")
			.get(30, TimeUnit.SECONDS)).isEqualTo("joiner's");
		release.countDown();
		owner.get(30, TimeUnit.SECONDS);
		assertThat(waits()).singleElement()
			.satisfies((wait) -> assertThat(wait.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("timeout"));
		assertThat(loads()).extracting((load) -> load.getLowCardinalityKeyValue("trigger").getValue())
			.containsExactlyInAnyOrder("miss", "timeout");
	}

	@Test
	void anAsynchronousWaitThatTimesOutEndsAsTimeoutAndItsOwnRunIsATimeoutLoadOfTheSameParent() throws Exception {
		CachedCache cache = cache("prices", spec(Duration.ofMillis(50)));
		CompletableFuture<String> owner = new CompletableFuture<>();
		cache.getAsync("EUR", (context) -> owner, "owner");
		Observation request = Observation.start("request", this.registry);
		CompletableFuture<@Nullable Object> joined;
		try (Observation.Scope scope = request.openScope()) {
			joined = cache.getAsync("EUR", (context) -> CompletableFuture.completedFuture("joiner's"), "joiner");
		}
		assertThat(joined.get(30, TimeUnit.SECONDS)).isEqualTo("joiner's");
		owner.complete("owner's");
		request.stop();
		await().atMost(LONG).until(() -> loads().size() == 2);
		assertThat(waits()).singleElement().satisfies((wait) -> {
			assertThat(wait.getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("timeout");
			assertThat(wait.getParentObservation()).isSameAs(request);
		});
		assertThat(loads()).filteredOn((load) -> load.getTrigger().name().equals("TIMEOUT"))
			.singleElement()
			.satisfies((load) -> assertThat(load.getParentObservation()).isSameAs(request));
	}

	@Test
	void aCallerWhoseLoadEndedWithItsOwnersInterruptionEndsItsWaitAsInterruptedAndTakesTheLoadOver()
			throws Exception {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		CountDownLatch release = new CountDownLatch(1);
		Future<?> owner = get(cache, (context) -> {
			release.await(30, TimeUnit.SECONDS);
			throw new InterruptedException("the owner's request was cancelled");
		}, "owner");
		await().atMost(LONG).until(() -> cache.inFlightKeys() == 1);
		Future<@Nullable Object> joiner = get(cache, (context) -> "joiner's", "joiner");
		await().atMost(LONG).until(() -> cache.getStatistics().coalesced() == 1);
		release.countDown();
		assertThatThrownBy(() -> owner.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(InterruptedException.class);
		assertThat(joiner.get(30, TimeUnit.SECONDS)).isEqualTo("joiner's");
		assertThat(waits()).singleElement()
			.satisfies((wait) -> assertThat(wait.getLowCardinalityKeyValue("outcome").getValue())
				.isEqualTo("interrupted"));
		assertThat(loads()).extracting((load) -> load.getLowCardinalityKeyValue("trigger").getValue() + "/"
				+ load.getLowCardinalityKeyValue("result").getValue())
			.containsExactlyInAnyOrder("miss/failure", "takeover/success");
	}

	@Test
	void anInterruptedWaitEndsAsInterrupted() throws Exception {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		CountDownLatch release = new CountDownLatch(1);
		Future<?> owner = get(cache, (context) -> {
			release.await(30, TimeUnit.SECONDS);
			return "1.00";
		}, "owner");
		await().atMost(LONG).until(() -> cache.inFlightKeys() == 1);
		Future<?> joiner = get(cache, (context) -> "never", "joiner");
		await().atMost(LONG).until(() -> cache.getStatistics().coalesced() == 1);
		joiner.cancel(true);
		await().atMost(LONG).until(() -> waits().size() == 1 && waits().get(0).getOutcome() != null);
		assertThat(waits().get(0).getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("interrupted");
		release.countDown();
		owner.get(30, TimeUnit.SECONDS);
	}

	@Test
	void aBackgroundRefreshIsARefreshLoad() throws Throwable {
		AtomicReference<Boolean> due = new AtomicReference<>(false);
		Refresher refresher = new Refresher() {

			@Override
			public boolean isDue(long ageNanos, long remainingNanos, long loadNanos) {
				return due.get();
			}

			@Override
			public void execute(Runnable reload) {
				ObservationLoadObserverTests.this.threads.execute(reload);
			}

			@Override
			public void succeeded(Object key) {
			}

			@Override
			public void failed(Object key, Throwable failure) {
			}

		};
		CacheRegistry caches = new CacheRegistry((name) -> new CacheSpec(Duration.ofMinutes(10), null, null, null,
				Duration.ofMinutes(1), null, null), CacheSpec.NONE, Ticker.systemTicker(), Runnable::run,
				(name, settings) -> refresher);
		caches.setLoadObserver(new ObservationLoadObserver(this.registry));
		CachedCache cache = caches.register("prices", method(), false, null);
		AtomicInteger executions = new AtomicInteger();
		cache.get("EUR", (context) -> "price " + executions.incrementAndGet(), "call");
		due.set(true);
		assertThat(cache.get("EUR", (context) -> "price " + executions.incrementAndGet(), "call")).isEqualTo("price 1");
		await().atMost(LONG).until(() -> loads().size() == 2 && loads().get(1).getSuccess() != null);
		assertThat(loads()).extracting((load) -> load.getLowCardinalityKeyValue("trigger").getValue() + "/"
				+ load.getLowCardinalityKeyValue("result").getValue())
			.containsExactly("miss/success", "refresh/success");
	}

	@Test
	void aCancelledAsynchronousCallerEndsItsWaitAsCancelled() {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		CompletableFuture<String> owner = new CompletableFuture<>();
		cache.getAsync("EUR", (context) -> owner, "owner");
		CompletableFuture<@Nullable Object> joined = cache.getAsync("EUR", (context) -> owner, "joiner");
		joined.cancel(false);
		assertThat(waits()).singleElement()
			.satisfies((wait) -> assertThat(wait.getLowCardinalityKeyValue("outcome").getValue())
				.isEqualTo("cancelled"));
		owner.complete("1.00");
		assertThat(waits().get(0).getLowCardinalityKeyValue("outcome").getValue()).isEqualTo("cancelled");
		assertThat(loads()).singleElement()
			.satisfies((load) -> assertThat(load.getLowCardinalityKeyValue("result").getValue()).isEqualTo("success"));
	}

	@Test
	void aDisposedMonoSubscriberEndsItsWaitAsCancelled() {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		Sinks.One<String> price = Sinks.one();
		MonoMethod method = new MonoMethod(price.asMono());
		CompletableFuture<Object> owner = mono(cache, method).toFuture();
		Disposable joiner = mono(cache, method).subscribe();
		await().atMost(LONG).until(() -> waits().size() == 1);
		joiner.dispose();
		assertThat(waits()).singleElement()
			.satisfies((wait) -> assertThat(wait.getLowCardinalityKeyValue("outcome").getValue())
				.isEqualTo("cancelled"));
		price.tryEmitValue("1.00");
		assertThat(owner.join()).isEqualTo("1.00");
		assertThat(method.calls).hasValue(1);
	}

	@Test
	void aMonoLoadBelongsToTheObservationOfTheSubscriptionThatStartedItAndIsCurrentInTheMethodsPublisher() {
		CachedCache cache = cache("prices", CacheSpec.NONE);
		Observation request = Observation.start("request", this.registry);
		MonoMethod method = new MonoMethod(
				Mono.deferContextual((context) -> Mono.just(context.<Object>getOrDefault("micrometer.observation", "none"))));
		Object seen = mono(cache, method).contextWrite(Context.of("micrometer.observation", request))
			.block(LONG);
		request.stop();
		assertThat(loads()).singleElement().satisfies((load) -> {
			assertThat(load.getParentObservation()).isSameAs(request);
			assertThat(seen).isInstanceOf(Observation.class);
			assertThat(((Observation) seen).getContext()).isSameAs(load);
		});
	}

	@Test
	void aCustomConventionReplacesTheNamesAndKeys() throws Throwable {
		CacheRegistry caches = new CacheRegistry((name) -> CacheSpec.NONE, CacheSpec.NONE);
		caches.setLoadObserver(new ObservationLoadObserver(this.registry, new DefaultCachedLoadObservationConvention() {

			@Override
			public String getName() {
				return "shop.cache.load";
			}

			@Override
			public io.micrometer.common.KeyValues getLowCardinalityKeyValues(CachedLoadContext context) {
				return super.getLowCardinalityKeyValues(context).and("tier", "local");
			}

		}, null));
		caches.register("prices", method(), false, null).get("EUR", (context) -> "1.00", "call");
		TestObservationRegistryAssert.assertThat(this.registry)
			.hasNumberOfObservationsWithNameEqualTo("cached.load", 0)
			.hasObservationWithNameEqualTo("shop.cache.load")
			.that()
			.hasLowCardinalityKeyValue("tier", "local")
			.hasLowCardinalityKeyValue("trigger", "miss");
	}

	private Future<@Nullable Object> get(CachedCache cache, Loader loader, Object context) {
		return this.threads.submit(() -> {
			try {
				return cache.get("EUR", loader, context);
			}
			catch (Exception | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		});
	}

	private Mono<Object> mono(CachedCache cache, MonoMethod method) {
		@SuppressWarnings("unchecked")
		Mono<Object> answer = (Mono<Object>) ReactorAdapters.mono().answer(cache, "EUR", method, "call");
		return answer;
	}

	private CachedCache cache(String name, CacheSpec spec) {
		CacheRegistry caches = new CacheRegistry((cacheName) -> spec, CacheSpec.NONE);
		caches.setLoadObserver(new ObservationLoadObserver(this.registry));
		return caches.register(name, method(), false, null);
	}

	private static CacheSpec spec(Duration waitTimeout) {
		return new CacheSpec(null, null, waitTimeout, null);
	}

	private static java.lang.reflect.Method method() {
		try {
			return Object.class.getMethod("toString");
		}
		catch (NoSuchMethodException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private List<CachedLoadContext> loads() {
		return this.started.stream()
			.filter(CachedLoadContext.class::isInstance)
			.map(CachedLoadContext.class::cast)
			.toList();
	}

	private List<CachedWaitContext> waits() {
		return this.started.stream()
			.filter(CachedWaitContext.class::isInstance)
			.map(CachedWaitContext.class::cast)
			.toList();
	}

	/** A method that returns a {@code Mono}, called through the Mono adapter. */
	private static final class MonoMethod implements AsyncMethod {

		final AtomicInteger calls = new AtomicInteger();

		private final Mono<?> result;

		MonoMethod(Mono<?> result) {
			this.result = result;
		}

		@Override
		public Object call(Object context) {
			this.calls.incrementAndGet();
			return this.result;
		}

		@Override
		public @Nullable CompletionStage<?> loadAsync(Object context) {
			return ReactorAdapters.mono().toStage(call(context));
		}

	}

}
