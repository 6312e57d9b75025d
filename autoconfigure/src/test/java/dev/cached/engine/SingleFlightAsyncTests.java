package dev.cached.engine;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.engine.SingleFlightTests.MapStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.TIMEOUT;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that prove the guarantees of the contract for asynchronous results on the engine
 * ({@link SingleFlight#loadAsync} behind {@link CachedCache#getAsync}): G1 to G9 and G11
 * for the eventual value, a future of its own for every caller, and no caller's thread
 * ever blocked. The loader hands out futures that the test completes, so every outcome
 * happens exactly when the test says. Every test was run once against an engine broken on
 * purpose for its guarantee and went red there.
 */
class SingleFlightAsyncTests {

	private static final Duration IMPATIENT = Duration.ofMillis(50);

	private final Ticker ticker = () -> 0L;

	/**
	 * G1 and G2: concurrent calls of a cold key share one execution, whose value is
	 * published before the load stops being in flight; no caller blocks, and each gets a
	 * future of its own.
	 */
	@Nested
	class SingleFlightForTheEventualValue {

		@Test
		void sixtyFourCallsOfAColdKeyShareOneExecutionWithoutBlockingAndEachGetsItsOwnFuture() throws Exception {
			CachedCache cache = newCache("async-g1", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			List<CompletableFuture<@Nullable Object>> calls = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				// all on this thread: none of the calls waits for the load
				calls.add(cache.getAsync("key", loader, "caller " + i));
			}
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(loader.threads.get("caller 0")).isSameAs(Thread.currentThread());
			assertThat(calls).noneMatch(CompletableFuture::isDone);
			assertThat(calls).doesNotHaveDuplicates().doesNotContain(loader.future("caller 0"));
			assertThat(cache.getStatistics().inFlight()).isOne();
			loader.complete("caller 0");
			for (CompletableFuture<@Nullable Object> call : calls) {
				assertThat(value(call)).isEqualTo("value of caller 0");
			}
			assertStatistics(cache, 63, 1, 63, 1, 0);
			assertThat(cache.getStatistics().puts()).isEqualTo(1);
			assertThat(cache.peek("key")).isEqualTo("value of caller 0");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
			assertThat(value(cache.getAsync("key", loader, "late"))).isEqualTo("value of caller 0");
			assertThat(loader.executions()).isEqualTo(1);
		}

		@Test
		void callerArrivingWhileTheOwnerPublishesJoinsTheLoad() throws Exception {
			MapStore store = new MapStore();
			store.holdNextPublish();
			CacheStatistics statistics = new CacheStatistics();
			SingleFlight singleFlight = new SingleFlight("async-g2", store, statistics, null);
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = singleFlight.loadAsync("key", loader, "owner");
			// the method's future completes on another thread, which is held in the publish
			Thread completing = new Thread(() -> loader.complete("owner"));
			completing.setDaemon(true);
			completing.start();
			SingleFlightTests.awaitLatch(store.publishing);
			CompletableFuture<@Nullable Object> late = singleFlight.loadAsync("key", loader, "late");
			assertThat(statistics.coalesced()).isOne();
			store.proceed.countDown();
			assertThat(value(owner)).isEqualTo("value of owner");
			assertThat(value(late)).isEqualTo("value of owner");
			assertThat(loader.executions()).isEqualTo(1);
			// the completing thread unregisters right after it completed the callers' futures
			await().until(() -> singleFlight.inFlightKeys() == 0);
		}

		/**
		 * One mechanism: a synchronous caller of the same cache and key joins an
		 * asynchronous load (and waits for it, as synchronous joiners do).
		 */
		@Test
		void synchronousCallerOfTheSameKeyJoinsTheAsynchronousLoad() throws Exception {
			CachedCache cache = newCache("async-mixed", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			AtomicInteger syncExecutions = new AtomicInteger();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			FutureTask<@Nullable Object> sync = new FutureTask<>(() -> {
				try {
					return cache.get("key", (context) -> "sync value " + syncExecutions.incrementAndGet(), "sync");
				}
				catch (Throwable ex) {
					throw new IllegalStateException(ex);
				}
			});
			Thread thread = new Thread(sync);
			thread.setDaemon(true);
			thread.start();
			await().until(() -> cache.getStatistics().coalesced() == 1);
			loader.complete("owner");
			assertThat(sync.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("value of owner");
			assertThat(value(owner)).isEqualTo("value of owner");
			assertThat(syncExecutions).hasValue(0);
		}

	}

	/**
	 * Every caller gets its own future: cancelling it never cancels the shared load or
	 * another caller's result.
	 */
	@Nested
	class OwnFuturePerCaller {

		@Test
		void cancellingTheOwnersAndAJoinersFutureCancelsNeitherTheLoadNorTheOthers() throws Exception {
			CachedCache cache = newCache("async-cancel", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> joiner = cache.getAsync("key", loader, "joiner");
			CompletableFuture<@Nullable Object> other = cache.getAsync("key", loader, "other");
			assertThat(owner.cancel(true)).isTrue();
			assertThat(joiner.cancel(true)).isTrue();
			assertThat(loader.future("owner").isCancelled()).isFalse();
			assertThat(cache.inFlightKeys()).isOne();
			loader.complete("owner");
			assertThat(value(other)).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isEqualTo("value of owner");
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(cache.inFlightKeys()).isZero();
		}

		@Test
		void completingACallersFutureDoesNotCompleteAnotherCallers() throws Exception {
			CachedCache cache = newCache("async-cancel", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> joiner = cache.getAsync("key", loader, "joiner");
			owner.complete("forged by the owner's caller");
			assertThat(joiner.isDone()).isFalse();
			loader.complete("owner");
			assertThat(value(joiner)).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isEqualTo("value of owner");
		}

	}

	/**
	 * G3: an exceptional completion reaches the owner and every joined caller as the same
	 * instance, unwrapped from {@link CompletionException}; nothing is stored; the next
	 * call runs the method again. A method that throws instead of returning a future is a
	 * failed load like any other.
	 */
	@Nested
	class FailuresSharedNeverStored {

		@Test
		void exceptionalCompletionIsSharedUnwrappedAndNotStored() throws Exception {
			CachedCache cache = newCache("async-g3", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			IOException failure = new IOException("remote failure");
			List<CompletableFuture<@Nullable Object>> calls = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				calls.add(cache.getAsync("key", loader, "caller " + i));
			}
			loader.future("caller 0").completeExceptionally(new CompletionException(failure));
			for (CompletableFuture<@Nullable Object> call : calls) {
				assertThat(failure(call)).isSameAs(failure);
			}
			assertThat(loader.executions()).isEqualTo(1);
			assertStatistics(cache, 7, 1, 7, 0, 1);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
			assertThat(cache.inFlightKeys()).isZero();
			CompletableFuture<@Nullable Object> next = cache.getAsync("key", loader, "next");
			loader.complete("next");
			assertThat(value(next)).isEqualTo("value of next");
			assertThat(loader.executions()).isEqualTo(2);
		}

		@Test
		void methodThatThrowsInsteadOfReturningAFutureFailsTheCallersFuture() throws Exception {
			CachedCache cache = newCache("async-g3", CacheSpec.NONE);
			IllegalArgumentException failure = new IllegalArgumentException("bad argument");
			CompletableFuture<@Nullable Object> call = cache.getAsync("key", (context) -> {
				throw failure;
			}, "caller");
			assertThat(failure(call)).isSameAs(failure);
			assertStatistics(cache, 0, 1, 0, 0, 1);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
		}

	}

	/**
	 * G5: a call that would join a load its own thread is starting (the method called
	 * itself for the same key) fails at once, in its future; once the method has returned
	 * its future, the thread is free and a later call on it simply joins.
	 */
	@Nested
	class NoSelfDeadlock {

		@Test
		void recursiveCallWhileTheMethodStartsFailsInItsFuture() throws Exception {
			CachedCache cache = newCache("async-g5", CacheSpec.NONE);
			AtomicReference<@Nullable CompletableFuture<@Nullable Object>> inner = new AtomicReference<>();
			dev.cached.engine.AsyncLoader[] self = new dev.cached.engine.AsyncLoader[1];
			self[0] = (context) -> {
				inner.set(cache.getAsync("key", self[0], "inner"));
				return CompletableFuture.completedFuture("outer");
			};
			assertThat(value(cache.getAsync("key", self[0], "outer"))).isEqualTo("outer");
			assertThat(failure(inner.get())).isInstanceOf(IllegalStateException.class)
				.hasMessage("Recursive load of cache 'async-g5' key 'key': the method called itself for the same "
						+ "key on the same thread");
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G7: a joined caller whose wait reaches the wait timeout gets its future completed
	 * by running the method itself, off its own thread; its result is not stored.
	 */
	@Nested
	class WaitTimeout {

		@Test
		void joinerWhoseWaitTimesOutRunsTheMethodItselfOffItsThreadWithoutStoring() throws Exception {
			CachedCache cache = newCache("async-g7", new CacheSpec(null, null, IMPATIENT, null));
			AsyncLoader loader = new AsyncLoader().completeAtOnce("impatient");
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> impatient = cache.getAsync("key", loader, "impatient");
			assertThat(value(impatient)).isEqualTo("value of impatient");
			assertThat(loader.threads.get("impatient")).isNotSameAs(Thread.currentThread());
			assertThat(cache.peek("key")).isNull();
			assertThat(owner.isDone()).isFalse();
			assertStatistics(cache, 0, 2, 1, 1, 0);
			loader.complete("owner");
			assertThat(value(owner)).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isEqualTo("value of owner");
			assertStatistics(cache, 0, 2, 1, 2, 0);
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
		}

		@Test
		void joinerServedBeforeTheWaitTimeoutDoesNotRunTheMethod() throws Exception {
			CachedCache cache = newCache("async-g7", new CacheSpec(null, null, Duration.ofMinutes(5), null));
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> joiner = cache.getAsync("key", loader, "joiner");
			loader.complete("owner");
			assertThat(value(joiner)).isEqualTo("value of owner");
			assertThat(value(owner)).isEqualTo("value of owner");
			assertThat(loader.executions()).isEqualTo(1);
			assertStatistics(cache, 1, 1, 1, 1, 0);
		}

	}

	/**
	 * G8: an invalidation while the load runs means its value reaches its callers but is
	 * not stored, and a caller arriving after the invalidation starts a new load.
	 */
	@Nested
	class InvalidationWins {

		@Test
		void invalidateWhileLoadingReturnsTheValueButDoesNotStoreIt() throws Exception {
			CachedCache cache = newCache("async-g8", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> joiner = cache.getAsync("key", loader, "joiner");
			cache.invalidate("key");
			CompletableFuture<@Nullable Object> after = cache.getAsync("key", loader, "after");
			assertThat(loader.executions()).isEqualTo(2);
			loader.complete("owner");
			assertThat(value(owner)).isEqualTo("value of owner");
			assertThat(value(joiner)).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isNull();
			loader.complete("after");
			assertThat(value(after)).isEqualTo("value of after");
			assertThat(cache.peek("key")).isEqualTo("value of after");
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G9: after any mix of successes, failures, timeouts, cancellations and takeovers, no
	 * entry stays in flight and no load is counted as running.
	 */
	@Nested
	class NothingLeaks {

		@Test
		void mixOfOutcomesLeavesNothingInFlight() throws Exception {
			CachedCache patient = newCache("async-g9", CacheSpec.NONE);
			CachedCache impatient = newCache("async-g9-impatient", new CacheSpec(null, null, IMPATIENT, null));
			AsyncLoader loader = new AsyncLoader().completeAtOnce("timed out", "taker");
			List<CompletableFuture<@Nullable Object>> calls = new ArrayList<>();
			for (String key : List.of("ok", "bad", "cancelled", "vetoed")) {
				calls.add(patient.getAsync(key, loader, key));
				calls.add(patient.getAsync(key, loader, "taker"));
			}
			calls.add(impatient.getAsync("slow", loader, "slow"));
			calls.add(impatient.getAsync("slow", loader, "timed out"));
			calls.get(1).cancel(false);
			loader.complete("ok");
			loader.future("bad").completeExceptionally(new IOException("bad"));
			loader.future("cancelled").cancel(true);
			loader.veto.set(true);
			loader.complete("vetoed");
			await().until(() -> calls.get(9).isDone());
			loader.complete("slow");
			await().until(() -> calls.stream().allMatch(CompletableFuture::isDone));
			// a load completed on another thread unregisters right after completing its callers
			await().until(() -> patient.inFlightKeys() == 0 && impatient.inFlightKeys() == 0);
			assertThat(patient.getStatistics().inFlight()).isZero();
			assertThat(impatient.getStatistics().inFlight()).isZero();
			assertThat(loader.executions()).isEqualTo(7);
		}

	}

	/**
	 * G11: when the method's own future is cancelled (or the load ends with an
	 * interruption), its owner gets that failure, but no joined caller does: one of them
	 * takes the load over (counted as a load), the others join it. An ordinary failure is
	 * still shared with no second execution (see {@link FailuresSharedNeverStored}).
	 */
	@Nested
	class CancellationStaysWithItsCaller {

		@Test
		void cancelledMethodFutureFailsTheOwnerOnlyWhileAJoinerTakesTheLoadOver() throws Exception {
			assertTakenOver((future) -> future.cancel(true), CancellationException.class);
		}

		@Test
		void interruptionInTheMethodFutureFailsTheOwnerOnlyWhileAJoinerTakesTheLoadOver() throws Exception {
			assertTakenOver((future) -> future.completeExceptionally(
					new CompletionException(new InterruptedException("the owner's request was interrupted"))),
					InterruptedException.class);
		}

		@Test
		void ordinaryFailureOfTheMethodFutureIsSharedWithNoSecondExecution() throws Exception {
			CachedCache cache = newCache("async-g11", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			IllegalStateException failure = new IllegalStateException("ordinary");
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			List<CompletableFuture<@Nullable Object>> joiners = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				joiners.add(cache.getAsync("key", loader, "joiner " + i));
			}
			loader.future("owner").completeExceptionally(failure);
			assertThat(failure(owner)).isSameAs(failure);
			for (CompletableFuture<@Nullable Object> joiner : joiners) {
				assertThat(failure(joiner)).isSameAs(failure);
			}
			assertThat(loader.executions()).isEqualTo(1);
			assertStatistics(cache, 3, 1, 3, 0, 1);
		}

		private void assertTakenOver(java.util.function.Consumer<CompletableFuture<@Nullable Object>> ending,
				Class<? extends Throwable> ownersFailure) throws Exception {
			CachedCache cache = newCache("async-g11", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			List<CompletableFuture<@Nullable Object>> joiners = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				joiners.add(cache.getAsync("key", loader, "joiner " + i));
			}
			ending.accept(loader.future("owner"));
			assertThat(failure(owner)).isInstanceOf(ownersFailure);
			// one joiner runs the method again, the two others join its load (coalesced: 3 + 2)
			await().until(() -> loader.executions() == 2 && cache.getStatistics().coalesced() == 5);
			assertThat(joiners).noneMatch(CompletableFuture::isDone);
			Object taker = List.copyOf(loader.contexts).get(1);
			assertThat(taker).asString().startsWith("joiner ");
			loader.complete(taker);
			for (CompletableFuture<@Nullable Object> joiner : joiners) {
				assertThat(value(joiner)).isEqualTo("value of " + taker);
			}
			assertThat(loader.executions()).isEqualTo(2);
			assertStatistics(cache, 2, 2, 5, 1, 1);
			assertThat(cache.peek("key")).isEqualTo("value of " + taker);
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
		}

	}

	/**
	 * What the store does with an eventual value: {@code null} follows
	 * {@code cache-null-values}, and the {@code unless} veto sees the eventual value.
	 */
	@Nested
	class StoreSettings {

		@Test
		void nullCompletionIsStoredWhenCacheNullValuesIsTrue() throws Exception {
			CachedCache cache = newCache("async-nulls", new CacheSpec(null, null, null, true));
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> first = cache.getAsync("key", loader, "first");
			loader.future("first").complete(null);
			assertThat(value(first)).isNull();
			assertThat(value(cache.getAsync("key", loader, "second"))).isNull();
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(cache.peek("key")).isNotNull();
		}

		@Test
		void nullCompletionIsSharedButNotStoredWhenCacheNullValuesIsFalse() throws Exception {
			CachedCache cache = newCache("async-nulls", new CacheSpec(null, null, null, false));
			AsyncLoader loader = new AsyncLoader();
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> joiner = cache.getAsync("key", loader, "joiner");
			loader.future("owner").complete(null);
			assertThat(value(owner)).isNull();
			assertThat(value(joiner)).isNull();
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
		}

		@Test
		void methodReturningNoFutureIsANullValue() throws Exception {
			CachedCache cache = newCache("async-nulls", new CacheSpec(null, null, null, true));
			CompletableFuture<@Nullable Object> call = cache.getAsync("key", (context) -> null, "caller");
			assertThat(value(call)).isNull();
			assertThat(cache.peek("key")).isNotNull();
		}

		@Test
		void vetoSeesTheEventualValueWhichIsSharedButNotStored() throws Exception {
			CachedCache cache = newCache("async-unless", CacheSpec.NONE);
			AsyncLoader loader = new AsyncLoader();
			loader.veto.set(true);
			CompletableFuture<@Nullable Object> owner = cache.getAsync("key", loader, "owner");
			CompletableFuture<@Nullable Object> joiner = cache.getAsync("key", loader, "joiner");
			loader.complete("owner");
			assertThat(value(owner)).isEqualTo("value of owner");
			assertThat(value(joiner)).isEqualTo("value of owner");
			assertThat(loader.vetoed).containsExactly("value of owner");
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
		}

	}

	/**
	 * Refresh-ahead for an asynchronous method: a stale hit completes at once with the
	 * stored value and starts one background reload, which waits for the method's future
	 * on the refresh executor and stores its value.
	 */
	@Nested
	class RefreshAhead {

		@Test
		void staleHitCompletesAtOnceAndTheReloadStoresTheEventualValue() throws Exception {
			AtomicLong nanos = new AtomicLong();
			CachedCacheTests.ManualRefresher refresher = new CachedCacheTests.ManualRefresher();
			CacheSpec spec = new CacheSpec(Duration.ofMinutes(10), null, null, null, Duration.ofMinutes(1), null, null);
			CachedCache cache = new CachedCache("async-refresh", CacheSettings.resolve("async-refresh", spec, null,
					CacheSpec.NONE), nanos::get, Runnable::run, refresher);
			AsyncLoader loader = new AsyncLoader().completeAtOnce("first");
			assertThat(value(cache.getAsync("key", loader, "first"))).isEqualTo("value of first");
			nanos.addAndGet(Duration.ofMinutes(1).plusSeconds(1).toNanos());
			CompletableFuture<@Nullable Object> stale = cache.getAsync("key", loader, "stale");
			CompletableFuture<@Nullable Object> again = cache.getAsync("key", loader, "again");
			assertThat(stale.isDone()).isTrue();
			assertThat(value(stale)).isEqualTo("value of first");
			assertThat(value(again)).isEqualTo("value of first");
			assertThat(refresher.tasks).hasSize(1);
			loader.completeAtOnce("stale");
			refresher.runAll();
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(CachedCache.unmask(cache.peek("key"))).isEqualTo("value of stale");
			assertThat(cache.getStatistics().refreshSuccesses()).isOne();
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	private CachedCache newCache(String name, CacheSpec spec) {
		return new CachedCache(name, CacheSettings.resolve(spec, null, CacheSpec.NONE), this.ticker, Runnable::run);
	}

	private static @Nullable Object value(CompletableFuture<@Nullable Object> future) throws Exception {
		return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
	}

	/** The exception the future completed with, as the future holds it. */
	private static Throwable failure(@Nullable CompletableFuture<@Nullable Object> future) throws Exception {
		assertThat(future).isNotNull();
		Throwable failure = future.handle((value, error) -> error).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(failure).as("failure of %s", future).isNotNull();
		return failure;
	}

	private static void assertStatistics(CachedCache cache, long hits, long misses, long coalesced,
			long loadSuccesses, long loadFailures) {
		CacheStatistics statistics = cache.getStatistics();
		assertThat(statistics.hits()).as("hits").isEqualTo(hits);
		assertThat(statistics.misses()).as("misses").isEqualTo(misses);
		assertThat(statistics.coalesced()).as("coalesced").isEqualTo(coalesced);
		assertThat(statistics.loadSuccesses()).as("load successes").isEqualTo(loadSuccesses);
		assertThat(statistics.loadFailures()).as("load failures").isEqualTo(loadFailures);
	}

	/**
	 * An asynchronous loader that counts executions and hands out, per context, a future
	 * that the test completes (with {@code "value of <context>"}); some contexts can be
	 * told to complete at once, and storing can be vetoed.
	 */
	static final class AsyncLoader implements dev.cached.engine.AsyncLoader {

		private final AtomicInteger executions = new AtomicInteger();

		private final Map<Object, CompletableFuture<@Nullable Object>> futures = new ConcurrentHashMap<>();

		private final Map<Object, Boolean> atOnce = new ConcurrentHashMap<>();

		final Map<Object, Thread> threads = new ConcurrentHashMap<>();

		/** The contexts of the executions, in the order they started. */
		final Queue<Object> contexts = new ConcurrentLinkedQueue<>();

		final AtomicReference<Boolean> veto = new AtomicReference<>(false);

		final Queue<Object> vetoed = new ConcurrentLinkedQueue<>();

		AsyncLoader completeAtOnce(Object... contexts) {
			for (Object context : contexts) {
				this.atOnce.put(context, true);
			}
			return this;
		}

		int executions() {
			return this.executions.get();
		}

		CompletableFuture<@Nullable Object> future(Object context) {
			CompletableFuture<@Nullable Object> future = this.futures.get(context);
			assertThat(future).as("the method's future for %s", context).isNotNull();
			return future;
		}

		void complete(Object context) {
			future(context).complete("value of " + context);
		}

		@Override
		public CompletionStage<?> loadAsync(Object context) {
			this.executions.incrementAndGet();
			this.contexts.add(context);
			this.threads.put(context, Thread.currentThread());
			CompletableFuture<@Nullable Object> future = new CompletableFuture<>();
			this.futures.put(context, future);
			if (this.atOnce.containsKey(context)) {
				future.complete("value of " + context);
			}
			return future;
		}

		@Override
		public boolean isStorable(Object context, @Nullable Object result) {
			if (this.veto.get()) {
				this.vetoed.add(String.valueOf(result));
				return false;
			}
			return true;
		}

	}

}
