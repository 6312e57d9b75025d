package dev.cached.engine;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.cached.engine.SingleFlightHarness.LoadFailure;
import dev.cached.engine.SingleFlightHarness.Outcome;
import kotlin.Unit;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.CustomScenarioDSLKt;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * The races of the single-flight registry that break a guarantee when the engine gets one
 * step wrong, each model-checked by Lincheck as a fixed scenario (a generated one may or
 * may not contain the race; these always do), as Caffeine model-checks its refresh races.
 * Every scenario is a few threads on key 1 of a fresh {@link SingleFlightHarness}; which
 * interleaving happens is the model checker's choice, and the harness's ledger checks each
 * guarantee after each step that can break it, and at rest ({@link #atRest()}, which also
 * checks G9).
 * <p>
 * An asynchronous execution here returns a stage that completes when the scenario's gate
 * opens, on the thread that opens it (a caller, once its call has returned), so the owner's
 * completion (publish, complete, unregister) runs on that thread, racing the other callers.
 */
@Param(name = "key", gen = IntGen.class, conf = "1:1")
public class SingleFlightRacesLincheckTests {

	private final SingleFlightHarness harness = new SingleFlightHarness();

	private final CompletableFuture<Void> gate = new CompletableFuture<>();

	/** Lincheck makes an instance for each run of a scenario, and for its sequential runs. */
	public SingleFlightRacesLincheckTests() {
	}

	/**
	 * G3 exact: the owner's load fails while a caller has joined it; that caller, once it
	 * has received the failure, calls again at once and must not join the failed load (it
	 * would get the same exception instance). The owner must unregister its load before it
	 * completes it.
	 */
	@Test
	void callerRetryingAtOnceAfterASharedFailureNeverJoinsTheFailedLoad() {
		check(thread("loadFailing"), thread("loadFailing", "load"));
	}

	/**
	 * G3 exact for asynchronous results: the failed stage completes on the gate's thread; a
	 * caller whose future failed calls again at once and must not join the failed load.
	 */
	@Test
	void asyncCallerRetryingAtOnceAfterASharedFailureNeverJoinsTheFailedLoad() {
		check(thread("loadAsyncFailingThenOpenGate"), thread("loadAsyncFailingOnGate", "loadAsync"));
	}

	/**
	 * G1 and G2: two callers of a cold key; whether the second arrives while the first loads,
	 * while it publishes, or after it has unregistered, the loader runs once.
	 */
	@Test
	void twoCallersOfAColdKeyShareOneExecution() {
		check(thread("load"), thread("load"));
	}

	/**
	 * G1 and G2 for asynchronous results, the stage completing on the gate's thread.
	 */
	@Test
	void twoAsyncCallersOfAColdKeyShareOneExecution() {
		check(thread("loadAsyncThenOpenGate"), thread("loadAsyncOnGate"));
	}

	/**
	 * G8: an invalidation of the key races a load of it; a load that the invalidation
	 * detached must not be stored, whenever its publish comes.
	 */
	@Test
	void loadDetachedByARacingInvalidationIsNotStored() {
		check(thread("load"), thread("invalidate"));
	}

	/**
	 * G8 for asynchronous results: the stage of the detached load completes on the gate's
	 * thread, which runs the owner's publish.
	 */
	@Test
	void asyncLoadDetachedByARacingInvalidationIsNotStored() {
		check(thread("loadAsyncThenOpenGate"), thread("invalidate"));
	}

	/* --------------- the operations of the scenarios --------------- */

	@Operation
	public void load(@Param(name = "key") int key) throws Throwable {
		try {
			this.harness.load(key, Outcome.SUCCEED);
		}
		catch (LoadFailure ex) {
			// a joined load's failure: the ledger has checked it (G3)
		}
	}

	@Operation
	public void loadFailing(@Param(name = "key") int key) throws Throwable {
		try {
			this.harness.load(key, Outcome.FAIL);
		}
		catch (LoadFailure ex) {
			// the ledger has checked it (G3)
		}
	}

	@Operation
	public void loadAsync(@Param(name = "key") int key) {
		SingleFlightLincheckTests.await(() -> this.harness.loadAsync(key, Outcome.SUCCEED, null).join());
	}

	/**
	 * An asynchronous caller whose execution, if it runs one, returns a stage completed with
	 * a fresh value when the gate opens; it waits for its future.
	 */
	@Operation(blocking = true)
	public void loadAsyncOnGate(@Param(name = "key") int key) {
		SingleFlightLincheckTests.await(() -> this.harness.loadAsync(key, Outcome.SUCCEED, this.gate).join());
	}

	/** As {@link #loadAsyncOnGate}, with a failure. */
	@Operation(blocking = true)
	public void loadAsyncFailingOnGate(@Param(name = "key") int key) {
		SingleFlightLincheckTests.await(() -> this.harness.loadAsync(key, Outcome.FAIL, this.gate).join());
	}

	/**
	 * As {@link #loadAsyncOnGate}, but the caller opens the gate itself once its call has
	 * returned: the stage of the load (this caller's or the one it joined) completes on this
	 * thread, which runs the owner's publish, complete and unregister.
	 */
	@Operation
	public void loadAsyncThenOpenGate(@Param(name = "key") int key) {
		CompletableFuture<?> mine = this.harness.loadAsync(key, Outcome.SUCCEED, this.gate);
		this.gate.complete(null);
		SingleFlightLincheckTests.await(mine::join);
	}

	/** As {@link #loadAsyncThenOpenGate}, with a failure. */
	@Operation
	public void loadAsyncFailingThenOpenGate(@Param(name = "key") int key) {
		CompletableFuture<?> mine = this.harness.loadAsync(key, Outcome.FAIL, this.gate);
		this.gate.complete(null);
		SingleFlightLincheckTests.await(mine::join);
	}

	@Operation
	public void invalidate(@Param(name = "key") int key) {
		this.harness.invalidate(key);
	}

	@Validate
	public void atRest() {
		this.harness.verifyAtRest();
	}

	/* --------------- scenarios --------------- */

	private static String[] thread(String... operations) {
		return operations;
	}

	/** Model-check one parallel scenario, a thread per array of operation names, each on key 1. */
	private static void check(String[]... threads) {
		ExecutionScenario scenario = CustomScenarioDSLKt.scenario((builder) -> {
			builder.parallel((parallel) -> {
				for (String[] operations : threads) {
					parallel.thread((thread) -> {
						for (String operation : operations) {
							thread.add(actor(operation));
						}
						return Unit.INSTANCE;
					});
				}
				return Unit.INSTANCE;
			});
			return Unit.INSTANCE;
		});
		LincheckRun.modelCheckingOptions()
			.iterations(0)
			.invocationsPerIteration(LincheckRun.scenarioInvocations())
			.minimizeFailedScenario(false)
			.verifier(LincheckRun.NoFailureVerifier.class)
			.addCustomScenario(scenario)
			.check(SingleFlightRacesLincheckTests.class);
	}

	private static Actor actor(String operation) {
		for (Method method : SingleFlightRacesLincheckTests.class.getMethods()) {
			if (method.getName().equals(operation)) {
				List<Object> arguments = new ArrayList<>();
				if (method.getParameterCount() == 1) {
					arguments.add(1);
				}
				Operation annotation = method.getAnnotation(Operation.class);
				return new Actor(method, arguments, false, annotation.blocking());
			}
		}
		throw new IllegalArgumentException("No operation " + operation);
	}

}
