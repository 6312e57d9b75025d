package dev.cached.engine;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Method;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.TIMEOUT;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests that prove the concurrency guarantees G1 to G11 of the contract on the engine
 * ({@link SingleFlight} behind a {@link CachedCache}), each in a nested class named after
 * its guarantee. The shape is the one of {@code TestForget} in golang's singleflight:
 * hold the loader on a latch, wait until every other caller has joined, release it, then
 * assert exact numbers. Every test was run once against an engine broken on purpose for
 * its guarantee and went red there.
 */
class SingleFlightTests {

	private static final Duration IMPATIENT = Duration.ofMillis(50);

	private final AtomicLong nanos = new AtomicLong();

	private final Ticker ticker = this.nanos::get;

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	private final AtomicInteger threadCount = new AtomicInteger();

	@AfterEach
	void stopCallers() throws InterruptedException {
		// only does something after a failure: unblocks callers stuck in a wait or a latch
		for (Thread thread : this.threads) {
			thread.interrupt();
		}
		for (Thread thread : this.threads) {
			thread.join(TIMEOUT.toMillis());
		}
	}

	/**
	 * G1: while a load for a key runs, every other call for that key joins it, so the
	 * method runs once however many threads call. The race: callers that all miss the
	 * store at the same moment must agree on one owner; the others join its load.
	 */
	@Nested
	class G1SingleFlight {

		@Test
		void sixtyFourConcurrentCallersOfAColdKeyShareOneExecution() throws Throwable {
			CachedCache cache = newCache("g1", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().holdEveryone();
			List<Call> calls = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				String context = "caller " + i;
				calls.add(call(() -> cache.get("key", loader, context)));
			}
			awaitEveryCallerJoinedOrLoading(cache, loader, 64);
			loader.releaseEveryone();
			Object value = calls.get(0).get();
			for (Call call : calls) {
				call.await();
			}
			assertThat(loader.executions()).isEqualTo(1);
			for (Call call : calls) {
				assertThat(call.get()).isSameAs(value);
			}
			assertStatistics(cache, 63, 1, 63, 1, 0);
			assertThat(cache.getStatistics().puts()).isEqualTo(1);
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
			assertThat(cache.get("key", loader, "late caller")).isSameAs(value);
			assertThat(loader.executions()).isEqualTo(1);
		}

		/**
		 * The same race with ten thousand virtual threads, which block in the join without
		 * pinning their carriers (no monitor is held): still one execution, and every caller
		 * returns.
		 */
		@Test
		void tenThousandVirtualThreadsOfAColdKeyShareOneExecution() throws Throwable {
			Method factory = G10CallerThread.virtualThreadExecutorFactory();
			assumeTrue(factory != null, "virtual threads need Java 21 or later; this JVM is Java "
					+ Runtime.version().feature());
			CachedCache cache = newCache("g1", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().holdEveryone();
			int callers = 10_000;
			ExecutorService executor = (ExecutorService) factory.invoke(null);
			try {
				List<Future<@Nullable Object>> calls = new ArrayList<>();
				for (int i = 0; i < callers; i++) {
					String context = "virtual caller " + i;
					calls.add(executor.submit(callable(() -> cache.get("key", loader, context))));
				}
				awaitEveryCallerJoinedOrLoading(cache, loader, callers);
				loader.releaseEveryone();
				Object value = calls.get(0).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
				for (Future<@Nullable Object> call : calls) {
					assertThat(call.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isSameAs(value);
				}
				assertThat(loader.executions()).isEqualTo(1);
				assertStatistics(cache, callers - 1, 1, callers - 1, 1, 0);
				assertThat(cache.inFlightKeys()).isZero();
			}
			finally {
				executor.shutdownNow();
			}
		}

		@Test
		void differentKeysDoNotShareALoad() throws Throwable {
			CachedCache cache = newCache("g1", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader();
			assertThat(cache.get("a", loader, "a")).isEqualTo("value of a");
			assertThat(cache.get("b", loader, "b")).isEqualTo("value of b");
			assertThat(loader.executions()).isEqualTo(2);
			assertStatistics(cache, 0, 2, 0, 2, 0);
		}

	}

	/**
	 * G2: a finished load's value is in the store before the load stops being in flight,
	 * so a caller arriving at any moment joins the load or reads the value. The races:
	 * <ul>
	 * <li>a caller misses the store, then the owner publishes and unregisters, then the
	 * caller registers as the owner of a new load: it must look in the store again;</li>
	 * <li>a caller arrives while the owner publishes: if the owner unregistered before
	 * publishing, the caller would find neither a load nor a value.</li>
	 * </ul>
	 */
	@Nested
	class G2NoGap {

		@Test
		void callerThatMissedTheStoreJustBeforeThePublishReadsTheValueInsteadOfLoading() throws Throwable {
			MapStore store = new MapStore();
			CacheStatistics statistics = new CacheStatistics();
			SingleFlight singleFlight = new SingleFlight("g2", store, statistics, null);
			ScriptedLoader loader = new ScriptedLoader();
			// the late caller looks in the store first and misses
			assertThat(store.lookup("key")).isNull();
			// meanwhile another caller loads, publishes and unregisters
			assertThat(call(() -> singleFlight.load("key", loader, "owner")).get()).isEqualTo("value of owner");
			// then the late caller reaches the registry
			assertThat(singleFlight.load("key", loader, "late")).isEqualTo("value of owner");
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(statistics.hits()).isEqualTo(1);
			assertThat(statistics.misses()).isEqualTo(1);
			assertThat(singleFlight.inFlightKeys()).isZero();
		}

		@Test
		void callerArrivingWhileTheOwnerPublishesJoinsTheLoad() throws Throwable {
			MapStore store = new MapStore();
			store.holdNextPublish();
			CacheStatistics statistics = new CacheStatistics();
			SingleFlight singleFlight = new SingleFlight("g2", store, statistics, null);
			ScriptedLoader loader = new ScriptedLoader();
			Call owner = call(() -> singleFlight.load("key", loader, "owner"));
			awaitLatch(store.publishing);
			Call late = call(() -> singleFlight.load("key", loader, "late"));
			await().until(() -> loader.executions() + statistics.coalesced() == 2);
			store.proceed.countDown();
			assertThat(owner.get()).isEqualTo("value of owner");
			assertThat(late.get()).isEqualTo("value of owner");
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(statistics.coalesced()).isEqualTo(1);
			assertThat(singleFlight.inFlightKeys()).isZero();
		}

		@Test
		void roundsOfConcurrentCallersRunExactlyOneExecutionPerRound() throws Throwable {
			CachedCache cache = newCache("g2", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader();
			int callers = 8;
			int rounds = 200;
			CyclicBarrier barrier = new CyclicBarrier(callers);
			List<Call> calls = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				calls.add(call(() -> {
					for (int round = 0; round < rounds; round++) {
						barrier.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
						assertThat(cache.get(round, loader, round)).isEqualTo("value of " + round);
					}
					return "done";
				}));
			}
			for (Call call : calls) {
				assertThat(call.get()).isEqualTo("done");
			}
			assertThat(loader.executions()).isEqualTo(rounds);
			CacheStatistics statistics = cache.getStatistics();
			assertThat(statistics.misses()).isEqualTo(rounds);
			assertThat(statistics.hits()).isEqualTo((long) rounds * (callers - 1));
			assertThat(statistics.loadSuccesses()).isEqualTo(rounds);
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G3: when the method throws (checked, unchecked or Error), its caller and every
	 * caller joined to that load get the same exception instance, unwrapped; nothing is
	 * stored, and the next call runs the method again.
	 */
	@Nested
	class G3FailuresSharedNeverStored {

		@Test
		void checkedExceptionIsSharedUnwrappedAndNotStored() throws Throwable {
			assertFailureIsSharedAndNotStored(new IOException("checked failure"));
		}

		@Test
		void uncheckedExceptionIsSharedUnwrappedAndNotStored() throws Throwable {
			assertFailureIsSharedAndNotStored(new IllegalArgumentException("unchecked failure"));
		}

		@Test
		void errorIsSharedUnwrappedAndNotStored() throws Throwable {
			assertFailureIsSharedAndNotStored(new LoadError("error failure"));
		}

		/**
		 * The joiner waits with a timed or untimed {@code get}: the method's own
		 * {@link TimeoutException} must not be taken for the end of the wait timeout (the
		 * joiners would run the method themselves).
		 */
		@Test
		void timeoutExceptionOfTheMethodIsSharedNotTakenForTheWaitTimeout() throws Throwable {
			assertFailureIsSharedAndNotStored(new TimeoutException("the method's own timeout"));
		}

		/** The method's own {@link ExecutionException} must not be unwrapped like the wait's. */
		@Test
		void executionExceptionOfTheMethodIsSharedAsItIs() throws Throwable {
			assertFailureIsSharedAndNotStored(new ExecutionException("the method's own", new IOException("cause")));
		}

		private void assertFailureIsSharedAndNotStored(Throwable failure) throws Throwable {
			CachedCache cache = newCache("g3", CacheSpec.NONE);
			CountDownLatch release = new CountDownLatch(1);
			AtomicInteger executions = new AtomicInteger();
			Loader failing = (context) -> {
				executions.incrementAndGet();
				awaitLatch(release);
				throw failure;
			};
			List<Call> calls = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				calls.add(call(() -> cache.get("key", failing, "caller")));
			}
			await().until(() -> executions.get() + cache.getStatistics().coalesced() == 8);
			release.countDown();
			for (Call call : calls) {
				assertThat(call.failure()).isSameAs(failure);
			}
			assertThat(executions).hasValue(1);
			assertStatistics(cache, 7, 1, 7, 0, 1);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
			assertThat(cache.inFlightKeys()).isZero();
			Loader succeeding = (context) -> {
				executions.incrementAndGet();
				return "recovered";
			};
			assertThat(cache.get("key", succeeding, "next")).isEqualTo("recovered");
			assertThat(executions).hasValue(2);
			assertThat(cache.getStatistics().loadSuccesses()).isEqualTo(1);
			assertThat(cache.getStatistics().loadFailures()).isEqualTo(1);
			assertThat(cache.peek("key")).isEqualTo("recovered");
		}

	}

	/**
	 * G4: no lock is held while a load runs, so loads of different keys run in parallel
	 * and a load may call any other key of any cache.
	 */
	@Nested
	class G4NoLockDuringLoad {

		/**
		 * Each loader waits until the other has started: with a lock around loads, the
		 * first would wait for the second forever (here: until the latch times out).
		 */
		@Test
		void loadsOfDifferentKeysRunInParallel() throws Throwable {
			CachedCache cache = newCache("g4", CacheSpec.NONE);
			CountDownLatch aStarted = new CountDownLatch(1);
			CountDownLatch bStarted = new CountDownLatch(1);
			Loader a = (context) -> {
				aStarted.countDown();
				awaitLatch(bStarted);
				return "a";
			};
			Loader b = (context) -> {
				bStarted.countDown();
				awaitLatch(aStarted);
				return "b";
			};
			Call callA = call(() -> cache.get("a", a, "a"));
			Call callB = call(() -> cache.get("b", b, "b"));
			assertThat(callA.get()).isEqualTo("a");
			assertThat(callB.get()).isEqualTo("b");
			assertStatistics(cache, 0, 2, 0, 2, 0);
			assertThat(cache.inFlightKeys()).isZero();
		}

		@Test
		void loadMayCallAnotherKeyAndAnotherCache() throws Throwable {
			CachedCache cache = newCache("g4", CacheSpec.NONE);
			CachedCache other = newCache("g4-other", CacheSpec.NONE);
			ScriptedLoader inner = new ScriptedLoader();
			Loader outer = (context) -> "outer of " + cache.get("inner", inner, "inner") + " and "
					+ other.get("elsewhere", inner, "elsewhere");
			Call call = call(() -> cache.get("outer", outer, "outer"));
			assertThat(call.get()).isEqualTo("outer of value of inner and value of elsewhere");
			assertThat(cache.peek("inner")).isEqualTo("value of inner");
			assertThat(other.peek("elsewhere")).isEqualTo("value of elsewhere");
			assertThat(cache.peek("outer")).isEqualTo("outer of value of inner and value of elsewhere");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(other.inFlightKeys()).isZero();
		}

	}

	/**
	 * G5: a call that would wait for a load started by its own thread for the same key
	 * fails at once with {@link IllegalStateException} naming cache and key; a cycle of
	 * waits across threads fails the same way instead of deadlocking.
	 */
	@Nested
	class G5NoSelfDeadlock {

		@Test
		void recursiveCallForTheSameKeyFailsAtOnceNamingCacheAndKey() throws Throwable {
			CachedCache cache = newCache("g5", CacheSpec.NONE);
			AtomicReference<@Nullable Throwable> recursive = new AtomicReference<>();
			AtomicInteger executions = new AtomicInteger();
			Loader[] self = new Loader[1];
			self[0] = (context) -> {
				executions.incrementAndGet();
				try {
					cache.get("key", self[0], "inner");
				}
				catch (IllegalStateException ex) {
					recursive.set(ex);
				}
				return "outer";
			};
			Call call = call(() -> cache.get("key", self[0], "outer"));
			assertThat(call.get()).isEqualTo("outer");
			assertThat(recursive.get()).isInstanceOf(IllegalStateException.class)
				.hasMessage("Recursive load of cache 'g5' key 'key': the method called itself for the same key "
						+ "on the same thread");
			assertThat(executions).hasValue(1);
			assertThat(cache.peek("key")).isEqualTo("outer");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
		}

		@Test
		void recursiveFailureThatEscapesTheLoadLeavesNothingInFlight() throws Throwable {
			CachedCache cache = newCache("g5", CacheSpec.NONE);
			Loader[] self = new Loader[1];
			self[0] = (context) -> cache.get("key", self[0], "inner");
			Call call = call(() -> cache.get("key", self[0], "outer"));
			assertThat(call.failure()).isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("Recursive load of cache 'g5' key 'key'");
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().loadFailures()).isEqualTo(1);
		}

		/**
		 * Thread A loads k1 and needs k2 while thread B loads k2 and needs k1. Both record
		 * what they wait for before they look for a cycle, so at least one of them sees it
		 * and fails; the other gets that failure through the load it waits for.
		 */
		@Test
		void crossThreadCycleFailsInsteadOfDeadlocking() throws Throwable {
			CachedCache cache = newCache("g5", CacheSpec.NONE);
			CountDownLatch aStarted = new CountDownLatch(1);
			CountDownLatch bStarted = new CountDownLatch(1);
			Loader[] loaders = new Loader[2];
			loaders[0] = (context) -> {
				aStarted.countDown();
				awaitLatch(bStarted);
				return "k1 needs " + cache.get("k2", loaders[1], "a");
			};
			loaders[1] = (context) -> {
				bStarted.countDown();
				awaitLatch(aStarted);
				return "k2 needs " + cache.get("k1", loaders[0], "b");
			};
			Call a = call(() -> cache.get("k1", loaders[0], "a"));
			Call b = call(() -> cache.get("k2", loaders[1], "b"));
			assertThat(a.failure()).isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("Cyclic load of cache 'g5' key 'k");
			assertThat(b.failure()).isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("Cyclic load of cache 'g5' key 'k");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
			assertThat(cache.peek("k1")).isNull();
			assertThat(cache.peek("k2")).isNull();
		}

		/**
		 * Thread C loads k2 and needs k1, whose load thread A owns; C's wait times out and
		 * C runs k1 itself. Then A needs k2. C no longer waits for A, so A must simply wait
		 * for C: a wait that has timed out must not count as part of a cycle.
		 */
		@Test
		void callerThatStoppedWaitingAfterTheWaitTimeoutIsNotPartOfACycle() throws Throwable {
			CachedCache impatient = newCache("g5-impatient", new CacheSpec(null, null, IMPATIENT, null));
			CachedCache patient = newCache("g5-patient", CacheSpec.NONE);
			CountDownLatch aStarted = new CountDownLatch(1);
			CountDownLatch aGo = new CountDownLatch(1);
			CountDownLatch cFallbackRunning = new CountDownLatch(1);
			CountDownLatch cGo = new CountDownLatch(1);
			Loader unexpected = (context) -> "unexpected load by " + context;
			Loader k1ByA = (context) -> {
				aStarted.countDown();
				awaitLatch(aGo);
				return "k1 needs " + patient.get("k2", unexpected, "a");
			};
			Loader k1ByC = (context) -> {
				cFallbackRunning.countDown();
				awaitLatch(cGo);
				return "k1 by c";
			};
			Loader k2ByC = (context) -> "k2 needs " + impatient.get("k1", k1ByC, "c");
			Call a = call(() -> impatient.get("k1", k1ByA, "a"));
			awaitLatch(aStarted);
			Call c = call(() -> patient.get("k2", k2ByC, "c"));
			awaitLatch(cFallbackRunning);
			aGo.countDown();
			await().until(() -> patient.getStatistics().coalesced() == 1 || a.isDone());
			cGo.countDown();
			assertThat(c.get()).isEqualTo("k2 needs k1 by c");
			assertThat(a.get()).isEqualTo("k1 needs k2 needs k1 by c");
			assertThat(impatient.inFlightKeys()).isZero();
			assertThat(patient.inFlightKeys()).isZero();
		}

	}

	/**
	 * G6: a joined caller that is interrupted stops waiting at once and throws
	 * {@link CacheWaitInterruptedException} with its interrupt flag set; the load and the
	 * other callers are unaffected.
	 */
	@Nested
	class G6Interruption {

		@Test
		void interruptedJoinerThrowsAtOnceWithItsFlagSetWhileTheLoadGoesOn() throws Throwable {
			CachedCache cache = newCache("g6", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().holdEveryone();
			AtomicReference<@Nullable Boolean> flagWhenThrown = new AtomicReference<>();
			Call owner = call(() -> cache.get("key", loader, "owner"));
			await().until(() -> loader.executions() == 1);
			Call joiner = call(() -> cache.get("key", loader, "joiner"));
			Call victim = call(() -> {
				try {
					return cache.get("key", loader, "victim");
				}
				catch (CacheWaitInterruptedException ex) {
					flagWhenThrown.set(Thread.currentThread().isInterrupted());
					throw ex;
				}
			});
			await().until(() -> cache.getStatistics().coalesced() == 2);
			victim.thread().interrupt();
			assertThat(victim.failure()).isInstanceOf(CacheWaitInterruptedException.class)
				.hasMessage("Interrupted while waiting for a load of cache 'g6'")
				.hasCauseInstanceOf(InterruptedException.class);
			assertThat(flagWhenThrown).hasValue(true);
			assertThat(owner.isDone()).isFalse();
			assertThat(joiner.isDone()).isFalse();
			loader.releaseEveryone();
			assertThat(owner.get()).isEqualTo("value of owner");
			assertThat(joiner.get()).isEqualTo("value of owner");
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(cache.peek("key")).isEqualTo("value of owner");
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G7: a joined caller that has waited the wait timeout runs the method itself and
	 * returns its own result, which is not stored; it counts as a miss and its execution
	 * as a load.
	 */
	@Nested
	class G7WaitTimeout {

		@Test
		void joinerWhoseWaitTimesOutRunsTheLoaderItselfWithoutStoring() throws Throwable {
			CachedCache cache = newCache("g7", new CacheSpec(null, null, IMPATIENT, null));
			ScriptedLoader loader = new ScriptedLoader().hold("owner");
			Call owner = call(() -> cache.get("key", loader, "owner"));
			await().until(() -> loader.executions() == 1);
			Call impatient = call(() -> cache.get("key", loader, "impatient"));
			assertThat(impatient.get()).isEqualTo("value of impatient");
			assertThat(loader.loadThreads.get("impatient")).isSameAs(impatient.thread());
			assertThat(cache.peek("key")).isNull();
			assertThat(owner.isDone()).isFalse();
			// the join is counted, the timed-out wait is a miss only
			assertStatistics(cache, 0, 2, 1, 1, 0);
			loader.release("owner");
			assertThat(owner.get()).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isEqualTo("value of owner");
			assertStatistics(cache, 0, 2, 1, 2, 0);
			CacheStatistics statistics = cache.getStatistics();
			assertThat(statistics.hits() + statistics.misses()).isEqualTo(2);
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G8: an invalidation of a key, or of all entries, while its load runs means that the
	 * load's result is returned to its callers but not stored. The race: the owner
	 * publishes after the invalidation removed the entry, which would bring the stale
	 * value back; and a caller arriving after the invalidation must not join the stale
	 * load.
	 */
	@Nested
	class G8InvalidationWins {

		@Test
		void invalidateWhileLoadingReturnsTheResultButDoesNotStoreIt() throws Throwable {
			assertInvalidationWins((cache) -> cache.invalidate("key"));
		}

		@Test
		void invalidateAllWhileLoadingReturnsTheResultButDoesNotStoreIt() throws Throwable {
			assertInvalidationWins(CachedCache::invalidateAll);
		}

		private void assertInvalidationWins(java.util.function.Consumer<CachedCache> invalidation)
				throws Throwable {
			CachedCache cache = newCache("g8", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().hold("owner");
			Call owner = call(() -> cache.get("key", loader, "owner"));
			await().until(() -> loader.executions() == 1);
			Call joiner = call(() -> cache.get("key", loader, "joiner"));
			await().until(() -> cache.getStatistics().coalesced() == 1);
			invalidation.accept(cache);
			loader.release("owner");
			assertThat(owner.get()).isEqualTo("value of owner");
			assertThat(joiner.get()).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.get("key", loader, "next")).isEqualTo("value of next");
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.peek("key")).isEqualTo("value of next");
		}

		@Test
		void callerArrivingAfterTheInvalidationStartsANewLoad() throws Throwable {
			CachedCache cache = newCache("g8", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().hold("owner");
			Call owner = call(() -> cache.get("key", loader, "owner"));
			await().until(() -> loader.executions() == 1);
			cache.invalidate("key");
			Call after = call(() -> cache.get("key", loader, "after"));
			assertThat(after.get()).isEqualTo("value of after");
			assertThat(owner.isDone()).isFalse();
			loader.release("owner");
			assertThat(owner.get()).isEqualTo("value of owner");
			assertThat(cache.peek("key")).isEqualTo("value of after");
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G9: after any mix of successes, failures, timeouts and interrupts, no entry stays in
	 * flight.
	 */
	@Nested
	class G9NothingLeaks {

		@Test
		void mixOfSuccessesFailuresTimeoutsAndInterruptsLeavesNothingInFlight() throws Throwable {
			CachedCache patient = newCache("g9", CacheSpec.NONE);
			CachedCache impatient = newCache("g9-impatient", new CacheSpec(null, null, IMPATIENT, null));
			ScriptedLoader loader = new ScriptedLoader().hold("ok", "bad", "int", "slow", "owner-int")
				.fail("bad", "slow-fallback-fails");
			List<Call> calls = new ArrayList<>();
			Call ok = call(() -> patient.get("ok", loader, "ok"));
			Call bad = call(() -> patient.get("bad", loader, "bad"));
			Call interrupted = call(() -> patient.get("int", loader, "int"));
			Call slow = call(() -> impatient.get("slow", loader, "slow"));
			Call ownerInterrupted = call(() -> patient.get("owner-int", loader, "owner-int"));
			await().until(() -> loader.executions() == 5);
			for (String key : List.of("ok", "bad", "int", "owner-int")) {
				for (int i = 0; i < 3; i++) {
					calls.add(call(() -> patient.get(key, loader, "joiner")));
				}
			}
			Call victim = call(() -> patient.get("int", loader, "victim"));
			await().until(() -> patient.getStatistics().coalesced() == 13);
			victim.thread().interrupt();
			assertThat(victim.failure()).isInstanceOf(CacheWaitInterruptedException.class);
			ownerInterrupted.thread().interrupt();
			assertThat(ownerInterrupted.failure()).isInstanceOf(InterruptedException.class);
			Call timedOut = call(() -> impatient.get("slow", loader, "slow-fallback"));
			Call timedOutFailing = call(() -> impatient.get("slow", loader, "slow-fallback-fails"));
			assertThat(timedOut.get()).isEqualTo("value of slow-fallback");
			assertThat(timedOutFailing.failure()).isInstanceOf(LoadError.class);
			loader.releaseEveryone();
			assertThat(ok.get()).isEqualTo("value of ok");
			assertThat(bad.failure()).isInstanceOf(LoadError.class);
			assertThat(interrupted.get()).isEqualTo("value of int");
			assertThat(slow.get()).isEqualTo("value of slow");
			for (Call call : calls) {
				assertThat(call.await()).isTrue();
			}
			assertThat(patient.inFlightKeys()).isZero();
			assertThat(patient.getStatistics().inFlight()).isZero();
			assertThat(impatient.inFlightKeys()).isZero();
			assertThat(impatient.getStatistics().inFlight()).isZero();
			// the joiners of the interrupted owner took its load over (G11): one more execution
			assertThat(loader.executions()).isEqualTo(8);
			assertThat(loader.contexts).containsExactlyInAnyOrder("ok", "bad", "int", "slow", "owner-int",
					"slow-fallback", "slow-fallback-fails", "joiner");
		}

		/**
		 * An invalidation detaches load A and a new load B registers for the same key.
		 * When A finishes, it must unregister only itself: removing the key would let the
		 * next caller start a third execution instead of joining B.
		 */
		@Test
		void detachedLoadThatFinishesLeavesTheNewerLoadRegistered() throws Throwable {
			CachedCache cache = newCache("g9", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().hold("a", "b");
			Call a = call(() -> cache.get("key", loader, "a"));
			await().until(() -> loader.executions() == 1);
			cache.invalidate("key");
			Call b = call(() -> cache.get("key", loader, "b"));
			await().until(() -> loader.executions() == 2);
			loader.release("a");
			assertThat(a.get()).isEqualTo("value of a");
			assertThat(cache.inFlightKeys()).isOne();
			Call c = call(() -> cache.get("key", loader, "c"));
			await().until(() -> loader.executions() + cache.getStatistics().coalesced() == 3);
			loader.release("b");
			assertThat(b.get()).isEqualTo("value of b");
			assertThat(c.get()).isEqualTo("value of b");
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.peek("key")).isEqualTo("value of b");
			assertThat(cache.inFlightKeys()).isZero();
		}

	}

	/**
	 * G10: the method runs on the thread of the call that started the load, with its
	 * ThreadLocals, and no monitor is held while loading or waiting, so virtual threads
	 * never pin.
	 */
	@Nested
	class G10CallerThread {

		private static final ThreadLocal<String> CALLER_STATE = new ThreadLocal<>();

		@Test
		void loaderRunsOnTheCallingThreadWithItsThreadLocals() throws Throwable {
			CachedCache cache = newCache("g10", CacheSpec.NONE);
			AtomicReference<@Nullable Thread> loadingThread = new AtomicReference<>();
			AtomicReference<@Nullable String> seenState = new AtomicReference<>();
			Loader loader = (context) -> {
				loadingThread.set(Thread.currentThread());
				seenState.set(CALLER_STATE.get());
				return "value";
			};
			Call call = call(() -> {
				CALLER_STATE.set("state of the caller");
				return cache.get("key", loader, "caller");
			});
			assertThat(call.get()).isEqualTo("value");
			assertThat(loadingThread.get()).isSameAs(call.thread());
			assertThat(seenState).hasValue("state of the caller");
		}

		@Test
		void noMonitorOrLockIsHeldWhileLoadingOrWaiting() throws Throwable {
			CachedCache cache = newCache("g10", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().hold("owner");
			Call owner = call(() -> cache.get("key", loader, "owner"));
			await().until(() -> loader.executions() == 1);
			Call joiner = call(() -> cache.get("key", loader, "joiner"));
			await().until(() -> cache.getStatistics().coalesced() == 1);
			await().until(() -> owner.thread().getState() == Thread.State.TIMED_WAITING
					&& joiner.thread().getState() == Thread.State.WAITING);
			ThreadInfo[] infos = ManagementFactory.getThreadMXBean()
				.getThreadInfo(new long[] { owner.thread().getId(), joiner.thread().getId() }, true, true);
			for (ThreadInfo info : infos) {
				assertThat(info.getStackTrace())
					.anySatisfy((frame) -> assertThat(frame.getClassName()).isEqualTo(SingleFlight.class.getName()));
				assertThat(info.getLockedMonitors()).as("monitors held by %s", info.getThreadName()).isEmpty();
				assertThat(info.getLockedSynchronizers()).as("locks held by %s", info.getThreadName()).isEmpty();
			}
			loader.release("owner");
			assertThat(owner.get()).isEqualTo("value of owner");
			assertThat(joiner.get()).isEqualTo("value of owner");
		}

		@Test
		void sixtyFourVirtualThreadsShareOneExecution() throws Throwable {
			Method factory = virtualThreadExecutorFactory();
			assumeTrue(factory != null, "virtual threads need Java 21 or later");
			CachedCache cache = newCache("g10", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().holdEveryone();
			ExecutorService executor = (ExecutorService) factory.invoke(null);
			try {
				List<Future<@Nullable Object>> calls = new ArrayList<>();
				for (int i = 0; i < 64; i++) {
					String context = "virtual caller " + i;
					calls.add(executor.submit(callable(() -> cache.get("key", loader, context))));
				}
				awaitEveryCallerJoinedOrLoading(cache, loader, 64);
				loader.releaseEveryone();
				Object value = calls.get(0).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
				for (Future<@Nullable Object> call : calls) {
					assertThat(call.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isSameAs(value);
				}
				assertThat(loader.executions()).isEqualTo(1);
				assertStatistics(cache, 63, 1, 63, 1, 0);
				assertThat(cache.inFlightKeys()).isZero();
			}
			finally {
				executor.shutdownNow();
			}
		}

		static @Nullable Method virtualThreadExecutorFactory() {
			try {
				return Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
			}
			catch (NoSuchMethodException ex) {
				return null;
			}
		}

	}

	/**
	 * G11: when the owner of a load is interrupted and the load ends with that
	 * interruption, the owner gets the failure, but no joined caller does: one of them
	 * takes the load over and runs the method (counted as a load), the others join it. Any
	 * other failure is shared (G3).
	 */
	@Nested
	class G11CancellationStaysWithItsCaller {

		@Test
		void interruptedOwnerGetsItsInterruptionWhileAJoinerTakesTheLoadOverForTheOthers() throws Throwable {
			CachedCache cache = newCache("g11", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().hold("owner", "joiner 0", "joiner 1", "joiner 2");
			Call owner = call(() -> cache.get("key", loader, "owner"));
			await().until(() -> loader.executions() == 1);
			List<Call> joiners = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				String context = "joiner " + i;
				joiners.add(call(() -> withInterruptFlag(cache.get("key", loader, context))));
			}
			await().until(() -> cache.getStatistics().coalesced() == 3);
			owner.thread().interrupt();
			assertThat(owner.failure()).isInstanceOf(InterruptedException.class);
			// one joiner runs the method again, the two others join its load (coalesced: 3 + 2)
			await().until(() -> loader.executions() == 2 && cache.getStatistics().coalesced() == 5);
			loader.releaseEveryone();
			Object taker = List.copyOf(loader.contexts).get(1);
			for (Call joiner : joiners) {
				assertThat(joiner.get()).isEqualTo("value of " + taker + ", interrupted: false");
			}
			int takerIndex = Integer.parseInt(((String) taker).substring("joiner ".length()));
			assertThat(loader.loadThreads.get(taker)).isSameAs(joiners.get(takerIndex).thread());
			assertThat(loader.executions()).isEqualTo(2);
			// every call is a hit or a miss once: the owner and the taker ran the method
			assertStatistics(cache, 2, 2, 5, 1, 1);
			assertThat(cache.peek("key")).isEqualTo("value of " + taker);
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().inFlight()).isZero();
		}

		/**
		 * Nobody is interrupted: the method itself throws an interruption (or one in its
		 * cause chain). The owner gets it; the joiners take over, and none of them gets a
		 * {@link CacheWaitInterruptedException} or an interrupt flag it never received.
		 */
		@Test
		void methodThrowingInterruptedExceptionIsTakenOverAndNoJoinerIsInterrupted() throws Throwable {
			assertTakenOver(new InterruptedException("the method's own interruption"), false);
		}

		@Test
		void interruptedIoExceptionInTheCauseChainIsTakenOver() throws Throwable {
			assertTakenOver(new UncheckedIOException(new InterruptedIOException("read interrupted")), false);
		}

		@Test
		void closedByInterruptExceptionInTheCauseChainIsTakenOver() throws Throwable {
			assertTakenOver(new IllegalStateException("channel closed", new ClosedByInterruptException()), false);
		}

		@Test
		void anyFailureWhileTheOwnersInterruptFlagIsSetIsTakenOver() throws Throwable {
			assertTakenOver(new IllegalStateException("gave up after an interrupt"), true);
		}

		@Test
		void ordinaryFailureIsStillSharedWithEveryJoinerAndNotRunAgain() throws Throwable {
			CachedCache cache = newCache("g11", CacheSpec.NONE);
			IOException failure = new IOException("ordinary failure");
			FailingOwnerLoader loader = new FailingOwnerLoader(failure, false);
			Call owner = call(() -> cache.get("key", loader, "owner"));
			List<Call> joiners = joiners(cache, loader, owner, 3);
			loader.release.countDown();
			assertThat(owner.failure()).isSameAs(failure);
			for (Call joiner : joiners) {
				assertThat(joiner.failure()).isSameAs(failure);
			}
			assertThat(loader.executions).hasValue(1);
			assertStatistics(cache, 3, 1, 3, 0, 1);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.inFlightKeys()).isZero();
		}

		private void assertTakenOver(Throwable failure, boolean interruptOwner) throws Throwable {
			CachedCache cache = newCache("g11", CacheSpec.NONE);
			FailingOwnerLoader loader = new FailingOwnerLoader(failure, interruptOwner);
			Call owner = call(() -> cache.get("key", loader, "owner"));
			List<Call> joiners = joiners(cache, loader, owner, 3);
			loader.release.countDown();
			assertThat(owner.failure()).isSameAs(failure);
			Object value = joiners.get(0).get();
			assertThat((String) value).startsWith("value of joiner ").endsWith(", interrupted: false");
			for (Call joiner : joiners) {
				assertThat(joiner.get()).isEqualTo(value);
			}
			assertThat(loader.executions).hasValue(2);
			CacheStatistics statistics = cache.getStatistics();
			assertThat(statistics.misses()).as("misses").isEqualTo(2);
			assertThat(statistics.hits()).as("hits").isEqualTo(2);
			assertThat(statistics.loadFailures()).as("load failures").isEqualTo(1);
			assertThat(statistics.loadSuccesses()).as("load successes").isEqualTo(1);
			assertThat(cache.inFlightKeys()).isZero();
		}

		private List<Call> joiners(CachedCache cache, FailingOwnerLoader loader, Call owner, int count) {
			await().until(() -> loader.executions.get() == 1);
			List<Call> joiners = new ArrayList<>();
			for (int i = 0; i < count; i++) {
				String context = "joiner " + i;
				joiners.add(call(() -> withInterruptFlag(cache.get("key", loader, context))));
			}
			await().until(() -> cache.getStatistics().coalesced() == count);
			assertThat(owner.isDone()).isFalse();
			return joiners;
		}

		private static String withInterruptFlag(@Nullable Object value) {
			return value + ", interrupted: " + Thread.currentThread().isInterrupted();
		}

		/**
		 * Holds the owner's execution until released, then throws the failure (after
		 * setting its own interrupt flag, if told to); any other caller's execution returns
		 * {@code "value of <context>"}.
		 */
		private static final class FailingOwnerLoader implements Loader {

			final AtomicInteger executions = new AtomicInteger();

			final CountDownLatch release = new CountDownLatch(1);

			private final Throwable failure;

			private final boolean interruptOwner;

			FailingOwnerLoader(Throwable failure, boolean interruptOwner) {
				this.failure = failure;
				this.interruptOwner = interruptOwner;
			}

			@Override
			public @Nullable Object load(Object context) throws Throwable {
				this.executions.incrementAndGet();
				if (!"owner".equals(context)) {
					return "value of " + context;
				}
				awaitLatch(this.release);
				if (this.interruptOwner) {
					Thread.currentThread().interrupt();
				}
				throw this.failure;
			}

		}

	}

	/**
	 * What the store does with a finished load: expiry, eviction, {@code null} results and
	 * the {@code unless} veto.
	 */
	@Nested
	class StoreSettings {

		@Test
		void entryExpiresAfterTheTtlThenANewLoadRuns() throws Throwable {
			CachedCache cache = newCache("ttl", new CacheSpec(Duration.ofSeconds(10), null, null, null));
			ScriptedLoader loader = new ScriptedLoader();
			assertThat(cache.get("key", loader, "first")).isEqualTo("value of first");
			advance(Duration.ofSeconds(9));
			assertThat(cache.get("key", loader, "second")).isEqualTo("value of first");
			assertThat(loader.executions()).isEqualTo(1);
			advance(Duration.ofSeconds(2));
			assertThat(cache.get("key", loader, "third")).isEqualTo("value of third");
			assertThat(loader.executions()).isEqualTo(2);
			assertStatistics(cache, 1, 2, 0, 2, 0);
		}

		@Test
		void entryBeyondTheMaximumSizeIsEvictedAndCounted() throws Throwable {
			CachedCache cache = newCache("size", new CacheSpec(null, 1L, null, null));
			ScriptedLoader loader = new ScriptedLoader();
			cache.get("a", loader, "a");
			cache.get("b", loader, "b");
			cache.getNativeCache().cleanUp();
			assertThat(cache.estimatedSize()).isEqualTo(1);
			assertThat(cache.getStatistics().evictions()).isEqualTo(1);
			assertThat(cache.getStatistics().puts()).isEqualTo(2);
		}

		@Test
		void nullResultIsStoredWhenCacheNullValuesIsTrue() throws Throwable {
			CachedCache cache = newCache("nulls", new CacheSpec(null, null, null, true));
			AtomicInteger executions = new AtomicInteger();
			Loader loader = (context) -> {
				executions.incrementAndGet();
				return null;
			};
			assertThat(cache.get("key", loader, "first")).isNull();
			assertThat(cache.get("key", loader, "second")).isNull();
			assertThat(executions).hasValue(1);
			assertThat(cache.peek("key")).isNotNull();
			assertThat(CachedCache.unmask(cache.peek("key"))).isNull();
			assertStatistics(cache, 1, 1, 0, 1, 0);
		}

		@Test
		void nullResultIsSharedButNotStoredWhenCacheNullValuesIsFalse() throws Throwable {
			CachedCache cache = newCache("nulls", new CacheSpec(null, null, null, false));
			CountDownLatch release = new CountDownLatch(1);
			AtomicInteger executions = new AtomicInteger();
			Loader loader = (context) -> {
				executions.incrementAndGet();
				awaitLatch(release);
				return null;
			};
			Call owner = call(() -> cache.get("key", loader, "owner"));
			Call joiner = call(() -> cache.get("key", loader, "joiner"));
			await().until(() -> executions.get() + cache.getStatistics().coalesced() == 2);
			release.countDown();
			assertThat(owner.get()).isNull();
			assertThat(joiner.get()).isNull();
			assertThat(executions).hasValue(1);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
			assertThat(cache.get("key", loader, "next")).isNull();
			assertThat(executions).hasValue(2);
		}

		@Test
		void vetoedResultIsSharedWithJoinersButNotStored() throws Throwable {
			CachedCache cache = newCache("unless", CacheSpec.NONE);
			ScriptedLoader loader = new ScriptedLoader().holdEveryone().veto();
			List<Call> calls = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				calls.add(call(() -> cache.get("key", loader, "caller")));
			}
			awaitEveryCallerJoinedOrLoading(cache, loader, 4);
			loader.releaseEveryone();
			for (Call call : calls) {
				assertThat(call.get()).isEqualTo("value of caller");
			}
			assertThat(loader.executions()).isEqualTo(1);
			assertStatistics(cache, 3, 1, 3, 1, 0);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().puts()).isZero();
			assertThat(cache.get("key", loader, "next")).isEqualTo("value of next");
			assertThat(loader.executions()).isEqualTo(2);
		}

	}

	private CachedCache newCache(String name, CacheSpec spec) {
		return new CachedCache(name, CacheSettings.resolve(spec, null, CacheSpec.NONE), this.ticker, Runnable::run);
	}

	private void advance(Duration duration) {
		this.nanos.addAndGet(duration.toNanos());
	}

	private Call call(Body body) {
		FutureTask<@Nullable Object> task = new FutureTask<>(callable(body));
		Thread thread = new Thread(task, "caller-" + this.threadCount.incrementAndGet());
		thread.setDaemon(true);
		this.threads.add(thread);
		thread.start();
		return new Call(thread, task);
	}

	private static Callable<@Nullable Object> callable(Body body) {
		return () -> {
			try {
				return body.run();
			}
			catch (Exception | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new ExecutionException(ex);
			}
		};
	}

	/**
	 * Wait until each of {@code callers} has either started the loader or joined a load.
	 * In a correct engine that means one execution and {@code callers - 1} coalesced; in
	 * a broken one the exact assertions that follow say what went wrong.
	 */
	private static void awaitEveryCallerJoinedOrLoading(CachedCache cache, ScriptedLoader loader, int callers) {
		await().until(() -> loader.executions() + cache.getStatistics().coalesced() == callers);
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

	static void awaitLatch(CountDownLatch latch) throws InterruptedException {
		if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
			throw new AssertionError("Latch not released within " + TIMEOUT);
		}
	}

	/**
	 * What a caller does; may throw whatever the loader throws.
	 */
	@FunctionalInterface
	interface Body {

		@Nullable Object run() throws Throwable;

	}

	/**
	 * One call on its own platform thread.
	 */
	record Call(Thread thread, FutureTask<@Nullable Object> result) {

		@Nullable Object get() throws Exception {
			return this.result.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}

		Throwable failure() throws Exception {
			try {
				Object value = get();
				return fail("Expected a failure but the call returned " + value);
			}
			catch (ExecutionException ex) {
				return ex.getCause();
			}
		}

		boolean await() throws Exception {
			try {
				get();
			}
			catch (ExecutionException ex) {
				// finished with a failure, which is fine here
			}
			return this.result.isDone();
		}

		boolean isDone() {
			return this.result.isDone();
		}

	}

	/**
	 * A loader that counts executions, returns {@code "value of <context>"}, and can be
	 * told to hold some contexts on a latch, fail for some, or veto storing.
	 */
	static final class ScriptedLoader implements Loader {

		private final AtomicInteger executions = new AtomicInteger();

		private final Map<Object, CountDownLatch> gates = new ConcurrentHashMap<>();

		private final Set<Object> failing = ConcurrentHashMap.newKeySet();

		private final CountDownLatch everyone = new CountDownLatch(1);

		private volatile boolean holdEveryone;

		private volatile boolean veto;

		final Map<Object, Thread> loadThreads = new ConcurrentHashMap<>();

		/** The contexts of the executions, in the order they started. */
		final Queue<Object> contexts = new ConcurrentLinkedQueue<>();

		ScriptedLoader holdEveryone() {
			this.holdEveryone = true;
			return this;
		}

		ScriptedLoader hold(Object... contexts) {
			for (Object context : contexts) {
				this.gates.put(context, new CountDownLatch(1));
			}
			return this;
		}

		ScriptedLoader fail(Object... contexts) {
			this.failing.addAll(List.of(contexts));
			return this;
		}

		ScriptedLoader veto() {
			this.veto = true;
			return this;
		}

		void release(Object context) {
			this.gates.get(context).countDown();
		}

		void releaseEveryone() {
			this.everyone.countDown();
			this.gates.values().forEach(CountDownLatch::countDown);
		}

		int executions() {
			return this.executions.get();
		}

		@Override
		public @Nullable Object load(Object context) throws Throwable {
			this.executions.incrementAndGet();
			this.contexts.add(context);
			this.loadThreads.put(context, Thread.currentThread());
			if (this.holdEveryone) {
				awaitLatch(this.everyone);
			}
			CountDownLatch gate = this.gates.get(context);
			if (gate != null) {
				awaitLatch(gate);
			}
			if (this.failing.contains(context)) {
				throw new LoadError("failure of " + context);
			}
			return "value of " + context;
		}

		@Override
		public boolean isStorable(Object context, @Nullable Object result) {
			return !this.veto;
		}

	}

	/**
	 * A store over a map that can hold the next publish, to let a test act while the
	 * owner publishes.
	 */
	static final class MapStore implements Store {

		final Map<Object, Object> values = new ConcurrentHashMap<>();

		final CountDownLatch publishing = new CountDownLatch(1);

		final CountDownLatch proceed = new CountDownLatch(1);

		private final AtomicBoolean holdNextPublish = new AtomicBoolean();

		void holdNextPublish() {
			this.holdNextPublish.set(true);
		}

		@Override
		public @Nullable Object lookup(Object key) {
			return this.values.get(key);
		}

		@Override
		public void publish(Object key, @Nullable Object value, Load load) {
			if (this.holdNextPublish.compareAndSet(true, false)) {
				this.publishing.countDown();
				try {
					awaitLatch(this.proceed);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException(ex);
				}
			}
			Object masked = NullValue.mask(value);
			this.values.compute(key, (k, old) -> load.isInvalidated() ? old : masked);
		}

	}

	/**
	 * An {@link Error} thrown by a loader.
	 */
	static final class LoadError extends Error {

		private static final long serialVersionUID = 1L;

		LoadError(String message) {
			super(message);
		}

	}

}
