package dev.cached.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import dev.cached.engine.SingleFlightHarness.LoadFailure;
import dev.cached.engine.SingleFlightHarness.Outcome;
import dev.cached.engine.SingleFlightHarness.Value;
import org.jspecify.annotations.Nullable;

/**
 * The races of the single-flight registry that break a guarantee when the engine gets one
 * step wrong, as plain threads for Fray ({@link SingleFlightFrayTests}): each scenario is a
 * few threads on one key of a fresh {@link SingleFlightHarness}, with no latch and no
 * wait, so which interleaving happens is the scheduler's choice. They are the races that
 * {@link SingleFlightRacesLincheckTests} model-checks as Lincheck scenarios, except that
 * the stage of an asynchronous load completes here on a thread of its own. Each scenario
 * ends by checking the harness at rest, so every one of them also checks G9.
 */
final class SingleFlightRaces {

	private static final int KEY = 1;

	private SingleFlightRaces() {
	}

	/**
	 * G3 exact: the owner's load fails while a caller has joined it; that caller, once it has
	 * received the failure, calls again at once. The second call must not join the failed
	 * load (it would get the same exception instance again): the owner must unregister its
	 * load before it completes it.
	 */
	static void callerRetryingAtOnceAfterASharedFailure() {
		SingleFlightHarness harness = new SingleFlightHarness();
		run(() -> outcome(() -> harness.load(KEY, Outcome.FAIL)), () -> {
			Throwable first = failure(() -> harness.load(KEY, Outcome.FAIL));
			Object second = outcome(() -> harness.load(KEY, Outcome.SUCCEED));
			if (second == first) {
				harness.violation("G3: a call made at once after receiving \"" + first.getMessage()
						+ "\" received the same instance again");
			}
		});
		harness.verifyAtRest();
	}

	/**
	 * G3 exact for asynchronous results: the owner's stage fails on a third thread (which
	 * then runs the owner's completion: complete and unregister); a caller whose future
	 * failed calls again at once, and must not join the failed load.
	 */
	static void asyncCallerRetryingAtOnceAfterASharedFailure() {
		SingleFlightHarness harness = new SingleFlightHarness();
		CompletableFuture<Void> gate = new CompletableFuture<>();
		run(() -> outcome(() -> harness.loadAsync(KEY, Outcome.FAIL, gate).join()), () -> {
			Throwable first = failure(() -> harness.loadAsync(KEY, Outcome.FAIL, gate).join());
			Object second = outcome(() -> harness.loadAsync(KEY, Outcome.SUCCEED, null).join());
			if (second == first) {
				harness.violation("G3: an asynchronous call made at once after its future failed with \""
						+ first.getMessage() + "\" failed with the same instance again");
			}
		}, () -> gate.complete(null));
		harness.verifyAtRest();
	}

	/**
	 * G1 and G2: two callers of a cold key; whether the second arrives while the first
	 * loads, while it publishes, or after it has unregistered, the loader runs once and both
	 * get the one value.
	 */
	static void twoCallersOfAColdKeyShareOneExecution() {
		SingleFlightHarness harness = new SingleFlightHarness();
		AtomicReference<Object> a = new AtomicReference<>();
		AtomicReference<Object> b = new AtomicReference<>();
		run(() -> a.set(outcome(() -> harness.load(KEY, Outcome.SUCCEED))),
				() -> b.set(outcome(() -> harness.load(KEY, Outcome.SUCCEED))));
		harness.verifyAtRest();
		expectOneExecutionSharedBy(harness, a.get(), b.get());
	}

	/**
	 * G1 and G2 for asynchronous results: two asynchronous callers of a cold key while a
	 * third thread completes the stage of the execution (and so runs the owner's publish and
	 * unregistration).
	 */
	static void twoAsyncCallersOfAColdKeyShareOneExecution() {
		SingleFlightHarness harness = new SingleFlightHarness();
		CompletableFuture<Void> gate = new CompletableFuture<>();
		AtomicReference<Object> a = new AtomicReference<>();
		AtomicReference<Object> b = new AtomicReference<>();
		run(() -> a.set(outcome(() -> harness.loadAsync(KEY, Outcome.SUCCEED, gate).join())),
				() -> b.set(outcome(() -> harness.loadAsync(KEY, Outcome.SUCCEED, gate).join())),
				() -> gate.complete(null));
		harness.verifyAtRest();
		expectOneExecutionSharedBy(harness, a.get(), b.get());
	}

	/**
	 * G8: an invalidation of the key races a load of it; a load that the invalidation
	 * detached (it started before) must not be stored, whenever its publish comes.
	 */
	static void invalidationRacingALoad() {
		SingleFlightHarness harness = new SingleFlightHarness();
		run(() -> outcome(() -> harness.load(KEY, Outcome.SUCCEED)), () -> harness.invalidate(KEY));
		harness.verifyAtRest();
	}

	/**
	 * G8 for asynchronous results: the stage of the detached load completes on a third
	 * thread, which runs the owner's publish.
	 */
	static void invalidationRacingAnAsyncLoad() {
		SingleFlightHarness harness = new SingleFlightHarness();
		CompletableFuture<Void> gate = new CompletableFuture<>();
		run(() -> outcome(() -> harness.loadAsync(KEY, Outcome.SUCCEED, gate).join()),
				() -> harness.invalidate(KEY), () -> gate.complete(null));
		harness.verifyAtRest();
	}

	private static void expectOneExecutionSharedBy(SingleFlightHarness harness, @Nullable Object a,
			@Nullable Object b) {
		int executions = harness.executions(KEY);
		if (executions != 1 || !(a instanceof Value) || a != b) {
			harness.violation("G1/G2: two callers of a cold key ran " + executions
					+ " execution(s) and got " + a + " and " + b + "; expected one execution whose value both get");
		}
	}

	/** Run the call and return its failure, which it must end with. */
	private static Throwable failure(Call call) {
		Object outcome = outcome(call);
		if (!(outcome instanceof LoadFailure failure)) {
			throw new AssertionError("expected a failed load, got " + outcome);
		}
		return failure;
	}

	/**
	 * Run the call and return its value or its {@link LoadFailure} (unwrapped from a
	 * future); anything else, an {@link AssertionError} of the harness first, is rethrown.
	 */
	private static @Nullable Object outcome(Call call) {
		try {
			return call.run();
		}
		catch (Throwable ex) {
			Throwable unwrapped = SingleFlightHarness.unwrap(ex);
			if (unwrapped instanceof LoadFailure) {
				return unwrapped;
			}
			if (unwrapped instanceof Error error) {
				throw error;
			}
			throw new AssertionError("unexpected failure", unwrapped);
		}
	}

	/**
	 * Run each part on a thread of its own, wait for all of them, and rethrow the first
	 * failure of any part.
	 */
	private static void run(Runnable... parts) {
		AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
		Thread[] threads = new Thread[parts.length];
		for (int i = 0; i < parts.length; i++) {
			Runnable part = parts[i];
			threads[i] = new Thread(() -> {
				try {
					part.run();
				}
				catch (Throwable ex) {
					failure.compareAndSet(null, ex);
				}
			});
		}
		for (Thread thread : threads) {
			thread.start();
		}
		for (Thread thread : threads) {
			try {
				thread.join();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new AssertionError(ex);
			}
		}
		Throwable first = failure.get();
		if (first instanceof Error error) {
			throw error;
		}
		if (first != null) {
			throw new AssertionError(first);
		}
	}

	@FunctionalInterface
	private interface Call {

		@Nullable Object run() throws Throwable;

	}

}
