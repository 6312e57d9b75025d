package dev.cached.engine;

import dev.cached.engine.SingleFlightHarness.LoadFailure;
import dev.cached.engine.SingleFlightHarness.Outcome;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * The single-flight registry checked by Lincheck: its model checker runs the registry's
 * operations on a few threads and explores their interleavings (every switch at a shared
 * read or write, a park, a monitor), its stress mode runs them on real threads; the
 * guarantees are checked by the {@link SingleFlightHarness}'s ledger after each step that
 * can break one and once every operation has returned ({@link #atRest()}).
 * <p>
 * What is linearizable here and what is not: a successful load is (it behaves as
 * "return the stored value, else store a fresh one"), but neither a shared failure (two
 * concurrent callers get one execution's failure, where any sequential order would run the
 * loader twice, and the execution count is exactly what the guarantees speak of) nor a load
 * detached by an invalidation (its callers get a value that no sequential order stores) has
 * a sequential specification. So the operations return nothing and no sequential
 * specification is checked ({@link LincheckRun.NoFailureVerifier}); the guarantees, which
 * are about the loader's executions and the stored value, are checked as invariants by the
 * ledger, and an operation that breaks one ends with an {@link AssertionError}, which
 * Lincheck reports with the scenario and the interleaving that led to it.
 * <p>
 * The generated scenarios are two threads of up to three operations on two keys, between
 * one operation before and one after. A generated scenario may or may not contain the one
 * race that breaks a guarantee; {@link SingleFlightRacesLincheckTests} model-checks those
 * races as fixed scenarios.
 * <p>
 * A short run in every build; a long one with {@code -Plincheck-long} (see
 * {@link LincheckRun}).
 */
@Param(name = "key", gen = IntGen.class, conf = "1:" + SingleFlightHarness.KEYS)
public class SingleFlightLincheckTests {

	private final SingleFlightHarness harness = new SingleFlightHarness();

	/** Lincheck makes an instance for each run of a scenario, and for its sequential runs. */
	public SingleFlightLincheckTests() {
	}

	@Test
	void modelChecking() {
		LincheckRun run = LincheckRun.modelChecking();
		LincheckRun.modelCheckingOptions()
			.iterations(run.iterations)
			.invocationsPerIteration(run.invocationsPerIteration)
			.threads(run.threads)
			.actorsPerThread(run.actorsPerThread)
			.actorsBefore(1)
			.actorsAfter(1)
			.verifier(LincheckRun.NoFailureVerifier.class)
			.check(getClass());
	}

	@Test
	void stress() {
		LincheckRun run = LincheckRun.stress();
		new StressOptions().invocationTimeout$lincheck(LincheckRun.INVOCATION_TIMEOUT_MILLIS)
			.iterations(run.iterations)
			.invocationsPerIteration(run.invocationsPerIteration)
			.threads(run.threads)
			.actorsPerThread(run.actorsPerThread)
			.actorsBefore(1)
			.actorsAfter(1)
			.verifier(LincheckRun.NoFailureVerifier.class)
			.check(getClass());
	}

	/* --------------- the operations of a generated scenario --------------- */

	/** A synchronous caller whose execution, if it runs one, returns a fresh value. */
	@Operation
	public void load(@Param(name = "key") int key) throws Throwable {
		try {
			this.harness.load(key, Outcome.SUCCEED);
		}
		catch (LoadFailure ex) {
			// a joined load's failure: the ledger has checked it (G3)
		}
	}

	/** A synchronous caller whose execution, if it runs one, throws a fresh failure. */
	@Operation
	public void loadFailing(@Param(name = "key") int key) throws Throwable {
		try {
			this.harness.load(key, Outcome.FAIL);
		}
		catch (LoadFailure ex) {
			// the load's own failure, or a joined one's: the ledger has checked it (G3)
		}
	}

	/** An asynchronous caller whose execution returns a stage completed with a fresh value. */
	@Operation
	public void loadAsync(@Param(name = "key") int key) {
		await(() -> this.harness.loadAsync(key, Outcome.SUCCEED, null).join());
	}

	/** An asynchronous caller whose execution returns a stage failed with a fresh failure. */
	@Operation
	public void loadAsyncFailing(@Param(name = "key") int key) {
		await(() -> this.harness.loadAsync(key, Outcome.FAIL, null).join());
	}

	@Operation
	public void invalidate(@Param(name = "key") int key) {
		this.harness.invalidate(key);
	}

	@Operation
	public void invalidateAll() {
		this.harness.invalidateAll();
	}

	/** G8, G9 and every violation recorded on the way, once every operation has returned. */
	@Validate
	public void atRest() {
		this.harness.verifyAtRest();
	}

	/**
	 * Wait for an asynchronous caller's future: a {@link LoadFailure} is a failed load's
	 * outcome (the ledger has checked it), an {@link Error} (the ledger's) is rethrown as it
	 * is, anything else as it came.
	 * @param join what waits for the future
	 */
	static void await(Runnable join) {
		try {
			join.run();
		}
		catch (RuntimeException ex) {
			Throwable failure = SingleFlightHarness.unwrap(ex);
			if (failure instanceof Error error) {
				throw error;
			}
			if (!(failure instanceof LoadFailure)) {
				throw ex;
			}
		}
	}

}
