package dev.cached.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.TIMEOUT;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * G3 made exact: "no call ever joins a load whose outcome a caller has already seen
 * fail". The race: an owner that completed its load before it unregistered it left a
 * window in which a caller that had received the failure, calling again at once, found the
 * finished load still registered, joined it and got the very same exception instance
 * instead of running the method again. One stress test per path that ends a load: the
 * blocking owner, the asynchronous owner, the background reload and the takeover after an
 * owner's interruption. Each fails when {@link SingleFlight#fail} completes the load before
 * it removes it from the registry.
 */
class G3ExactTests {

	private static final int CALLERS = 8;

	private static final int ROUNDS = 200;

	private final ExecutorService pool = Executors.newFixedThreadPool(CALLERS);

	@AfterEach
	void shutDown() {
		this.pool.shutdownNow();
	}

	@Test
	void blockingCallerThatCallsAgainAfterAFailureNeverJoinsTheFailedLoad() throws Exception {
		for (int round = 0; round < ROUNDS; round++) {
			Store store = new Store();
			SingleFlight flight = new SingleFlight("g3", store, new CacheStatistics(), null);
			FailingLoader loader = new FailingLoader();
			CyclicBarrier start = new CyclicBarrier(CALLERS);
			List<Future<Throwable[]>> calls = new ArrayList<>();
			for (int i = 0; i < CALLERS; i++) {
				calls.add(this.pool.submit(() -> {
					start.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
					Throwable first = failureOf(() -> flight.load("key", loader, "first"));
					// at once: a call that starts after this caller received the failure
					Throwable second = failureOf(() -> flight.load("key", loader, "second"));
					return new Throwable[] { first, second };
				}));
			}
			await().until(() -> loader.executions.get() == 1 && flight.inFlightKeys() == 1
					&& loader.waiting.getCount() == 0 && statisticsJoined(flight) == CALLERS - 1);
			loader.release.countDown();
			assertNeverTheSameFailureAgain(calls, loader);
			assertThat(flight.inFlightKeys()).isZero();
		}
	}

	@Test
	void asynchronousCallerThatCallsAgainWhenItsFutureFailedNeverJoinsTheFailedLoad() throws Exception {
		for (int round = 0; round < ROUNDS; round++) {
			SingleFlight flight = new SingleFlight("g3-async", new Store(), new CacheStatistics(), null);
			AtomicInteger executions = new AtomicInteger();
			CompletableFuture<@Nullable Object> method = new CompletableFuture<>();
			AsyncLoader loader = (context) -> (executions.incrementAndGet() == 1) ? method
					: CompletableFuture.failedFuture(new IllegalStateException("failure " + executions.get()));
			List<CompletableFuture<Throwable[]>> calls = new ArrayList<>();
			for (int i = 0; i < CALLERS; i++) {
				CompletableFuture<Throwable[]> pair = new CompletableFuture<>();
				flight.loadAsync("key", loader, "first").whenComplete((value, first) -> {
					// in the caller's continuation, as soon as its own future has completed
					flight.loadAsync("key", loader, "second")
						.whenComplete((again, second) -> pair.complete(new Throwable[] { first, second }));
				});
				calls.add(pair);
			}
			method.completeExceptionally(new IllegalStateException("failure 1"));
			Throwable shared = null;
			for (CompletableFuture<Throwable[]> call : calls) {
				Throwable[] failures = call.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
				shared = (shared != null) ? shared : failures[0];
				assertThat(failures[0]).isSameAs(shared).hasMessage("failure 1");
				assertThat(failures[1]).isNotNull().isNotSameAs(failures[0]);
			}
			assertThat(executions.get()).isGreaterThan(1);
			assertThat(flight.inFlightKeys()).isZero();
		}
	}

	@Test
	void callerThatJoinedAFailedReloadAndCallsAgainRunsTheMethodAgain() throws Exception {
		for (int round = 0; round < ROUNDS; round++) {
			SingleFlight flight = new SingleFlight("g3-reload", new Store(), new CacheStatistics(), null);
			FailingLoader loader = new FailingLoader();
			ExecutorRefresher refresher = new ExecutorRefresher(this.pool);
			flight.refresh("key", "stale", "stale value", loader, "reload", refresher);
			await().until(() -> loader.waiting.getCount() == 0);
			List<Future<Throwable[]>> calls = new ArrayList<>();
			for (int i = 0; i < CALLERS - 1; i++) {
				calls.add(this.pool.submit(() -> {
					Throwable first = failureOf(() -> flight.load("key", loader, "first"));
					Throwable second = failureOf(() -> flight.load("key", loader, "second"));
					return new Throwable[] { first, second };
				}));
			}
			await().until(() -> statisticsJoined(flight) == CALLERS - 1);
			loader.release.countDown();
			assertNeverTheSameFailureAgain(calls, loader);
			assertThat(flight.inFlightKeys()).isZero();
		}
	}

	@Test
	void callerThatTookAnInterruptedLoadOverAndSawItFailNeverJoinsItAgain() throws Exception {
		for (int round = 0; round < ROUNDS / 4; round++) {
			SingleFlight flight = new SingleFlight("g3-takeover", new Store(), new CacheStatistics(), null);
			AtomicInteger executions = new AtomicInteger();
			CountDownLatch ownerRunning = new CountDownLatch(1);
			Loader loader = (context) -> {
				int execution = executions.incrementAndGet();
				if (execution == 1) {
					ownerRunning.countDown();
					// the owner waits until it is interrupted: its failure is its own (G11)
					new CountDownLatch(1).await();
				}
				throw new IllegalStateException("failure " + execution);
			};
			Future<Throwable> owner = this.pool.submit(() -> failureOf(() -> flight.load("key", loader, "owner")));
			assertThat(ownerRunning.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
			List<Future<Throwable[]>> calls = new ArrayList<>();
			for (int i = 0; i < CALLERS - 1; i++) {
				calls.add(this.pool.submit(() -> {
					Throwable first = failureOf(() -> flight.load("key", loader, "first"));
					Throwable second = failureOf(() -> flight.load("key", loader, "second"));
					return new Throwable[] { first, second };
				}));
			}
			await().until(() -> statisticsJoined(flight) == CALLERS - 1);
			owner.cancel(true);
			for (Future<Throwable[]> call : calls) {
				Throwable[] failures = call.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
				assertThat(failures[0]).isInstanceOf(IllegalStateException.class);
				assertThat(failures[1]).isInstanceOf(IllegalStateException.class).isNotSameAs(failures[0]);
			}
			assertThat(flight.inFlightKeys()).isZero();
		}
	}

	private static long statisticsJoined(SingleFlight flight) {
		return flight.statistics.coalesced();
	}

	private static void assertNeverTheSameFailureAgain(List<Future<Throwable[]>> calls, FailingLoader loader)
			throws Exception {
		Throwable shared = null;
		for (Future<Throwable[]> call : calls) {
			Throwable[] failures = call.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			shared = (shared != null) ? shared : failures[0];
			assertThat(failures[0]).as("the failure every caller of the first load shares").isSameAs(shared);
			assertThat(failures[1]).as("the failure of a call made after the first one was received")
				.isNotNull()
				.isNotSameAs(failures[0]);
		}
		assertThat(loader.executions.get()).isGreaterThan(1);
	}

	private static @Nullable Throwable failureOf(Call call) {
		try {
			call.run();
			return null;
		}
		catch (Throwable ex) {
			return ex;
		}
	}

	@FunctionalInterface
	interface Call {

		void run() throws Throwable;

	}

	/** Holds its first execution until released; every execution throws a new exception. */
	static final class FailingLoader implements Loader {

		final AtomicInteger executions = new AtomicInteger();

		final CountDownLatch waiting = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		@Override
		public @Nullable Object load(Object context) throws Throwable {
			int execution = this.executions.incrementAndGet();
			if (execution == 1) {
				this.waiting.countDown();
				assertThat(this.release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
			}
			throw new IllegalStateException("failure " + execution);
		}

	}

	static final class Store implements dev.cached.engine.Store {

		private final Map<Object, Object> values = new ConcurrentHashMap<>();

		@Override
		public @Nullable Object lookup(Object key) {
			return this.values.get(key);
		}

		@Override
		public void publish(Object key, @Nullable Object value, Load load) {
			this.values.compute(key, (k, old) -> load.isInvalidated() ? old : NullValue.mask(value));
		}

	}

	/** Runs reloads on a pool; always due. */
	static final class ExecutorRefresher implements Refresher {

		private final ExecutorService executor;

		ExecutorRefresher(ExecutorService executor) {
			this.executor = executor;
		}

		@Override
		public boolean isDue(long ageNanos, long remainingNanos, long loadNanos) {
			return true;
		}

		@Override
		public void execute(Runnable reload) {
			this.executor.execute(reload);
		}

		@Override
		public void succeeded(Object key) {
		}

		@Override
		public void failed(Object key, Throwable failure) {
		}

	}

}
