package dev.cached.engine;

import java.util.List;

import kotlin.jvm.functions.Function1;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionResult;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.kotlinx.lincheck.execution.ResultWithClock;
import org.jetbrains.kotlinx.lincheck.util.ExceptionResult;
import org.jetbrains.kotlinx.lincheck.util.LincheckResult;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.verifier.Verifier;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

/**
 * How much the Lincheck tests explore, and what their model checker treats as one step.
 * The defaults are a short run, for every build; the {@code lincheck-long} Maven profile
 * sets the system properties
 * <code>lincheck.[modelChecking|stress].[iterations|invocationsPerIteration|threads|actorsPerThread]</code>
 * and {@code lincheck.scenario.invocations} to a long one, and each can be set alone with
 * {@code -D}. (The shape of Caffeine's {@code LincheckOptions}.)
 */
final class LincheckRun {

	/** How long one invocation may take before Lincheck reports it as hung. */
	static final long INVOCATION_TIMEOUT_MILLIS = 180_000;

	/** The number of different scenarios. */
	final int iterations;

	/** How many interleavings (model checking) or runs (stress) of each scenario. */
	final int invocationsPerIteration;

	/** The number of threads of a scenario. */
	final int threads;

	/** The number of operations of each thread. */
	final int actorsPerThread;

	private LincheckRun(String mode, int iterations, int invocationsPerIteration, int threads, int actorsPerThread) {
		this.iterations = Integer.getInteger(property(mode, "iterations"), iterations);
		this.invocationsPerIteration = Integer.getInteger(property(mode, "invocationsPerIteration"),
				invocationsPerIteration);
		this.threads = Integer.getInteger(property(mode, "threads"), threads);
		this.actorsPerThread = Integer.getInteger(property(mode, "actorsPerThread"), actorsPerThread);
	}

	/**
	 * Model checking of generated scenarios: explores interleavings systematically
	 * (sequential consistency only, so it cannot see a missing {@code volatile}), and prints
	 * the interleaving that broke a check.
	 * @return the run
	 */
	static LincheckRun modelChecking() {
		return new LincheckRun("modelChecking", 3, 50, 2, 3);
	}

	/**
	 * Stress: runs generated scenarios on real threads, under the real memory model.
	 * @return the run
	 */
	static LincheckRun stress() {
		return new LincheckRun("stress", 2, 300, 2, 3);
	}

	/**
	 * How many interleavings of each fixed scenario the model checker explores.
	 * @return the number of invocations
	 */
	static int scenarioInvocations() {
		return Integer.getInteger("lincheck.scenario.invocations", 100);
	}

	/**
	 * Return model-checking options whose steps are the registry's own: the JDK's
	 * concurrent map, the statistics' adders, logging and the harness's ledger each count as
	 * one atomic step (their insides are not what is checked, and exploring them would spend
	 * the invocations there); the registry, its loads (futures) and the store's publish are
	 * explored.
	 * @return the options
	 */
	static ModelCheckingOptions modelCheckingOptions() {
		return guarded(new ModelCheckingOptions());
	}

	/**
	 * Add to {@code options} the atomic steps of {@link #modelCheckingOptions()} and a
	 * longer time limit per invocation: Lincheck's 30 seconds are wall-clock time, which
	 * includes instrumenting the classes an invocation uses for the first time, and on a
	 * busy machine (a CI host building other projects) that alone has taken longer, reported
	 * as a hang.
	 * @param options the options
	 * @return the options
	 */
	private static ModelCheckingOptions guarded(ModelCheckingOptions options) {
		Function1<String, Boolean> library = (name) -> name.equals("java.util.concurrent.ConcurrentHashMap")
				|| name.startsWith("java.util.concurrent.atomic.") || name.startsWith("org.apache.commons.logging.")
				|| name.startsWith("ch.qos.logback.") || name.startsWith("org.slf4j.");
		return options.invocationTimeout$lincheck(INVOCATION_TIMEOUT_MILLIS)
			.addGuarantee(forClasses(library).allMethods().treatAsAtomic())
			.addGuarantee(forClasses(CacheStatistics.class.getName(), SingleFlightHarness.Ledger.class.getName())
				.allMethods()
				.treatAsAtomic());
	}

	/**
	 * The verifier of the tests whose operations return nothing and check the guarantees
	 * as invariants: a run passes if no operation threw (an {@link AssertionError} of the
	 * harness's ledger, or anything the registry should not have thrown). No sequential
	 * specification is built: there is none for a shared failure or a detached load.
	 */
	public static final class NoFailureVerifier implements Verifier {

		/**
		 * Lincheck makes the verifier with the test class as sequential specification.
		 * @param sequentialSpecification unused
		 */
		public NoFailureVerifier(Class<?> sequentialSpecification) {
		}

		@Override
		public boolean verifyResults(ExecutionScenario scenario, ExecutionResult results) {
			for (List<ResultWithClock> thread : results.getParallelResultsWithClock()) {
				for (ResultWithClock result : thread) {
					if (failed(result.getResult())) {
						return false;
					}
				}
			}
			return results.getInitResults().stream().noneMatch(NoFailureVerifier::failed)
					&& results.getPostResults().stream().noneMatch(NoFailureVerifier::failed);
		}

		private static boolean failed(LincheckResult result) {
			return result instanceof ExceptionResult;
		}

	}

	private static String property(String mode, String option) {
		return "lincheck." + mode + "." + option;
	}

}
