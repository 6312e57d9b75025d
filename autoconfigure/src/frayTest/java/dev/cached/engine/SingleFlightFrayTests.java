package dev.cached.engine;

import org.junit.jupiter.api.extension.ExtendWith;
import org.pastalab.fray.junit.junit5.FrayTestExtension;
import org.pastalab.fray.junit.junit5.annotations.FrayTest;

/**
 * The races of {@link SingleFlightRaces}, each run by Fray many times on real threads whose
 * every synchronisation point (a volatile or atomic access, a monitor, a park, a thread's
 * start and join) Fray's scheduler controls: each iteration is one interleaving, chosen by
 * the probabilistic POS scheduler, and a failed iteration is recorded under
 * {@code target/fray/fray-report} for replay. Where Lincheck's model checker
 * ({@link SingleFlightRacesLincheckTests}) enumerates interleavings by the number of
 * context switches, Fray samples them, so it also reaches interleavings with many switches.
 * <p>
 * Fray runs tests on a JDK 25 that it instruments, so these tests run only when Maven runs
 * on Java 25 (the {@code fray} profile of this module, which builds that JDK with
 * {@code jlink} and runs this class in a Surefire execution of its own); on any other JDK the
 * build says that they are skipped, and why.
 */
@ExtendWith(FrayTestExtension.class)
class SingleFlightFrayTests {

	private static final int ITERATIONS = 1_000;

	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void callerRetryingAtOnceAfterASharedFailureNeverJoinsTheFailedLoad() {
		SingleFlightRaces.callerRetryingAtOnceAfterASharedFailure();
	}

	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void asyncCallerRetryingAtOnceAfterASharedFailureNeverJoinsTheFailedLoad() {
		SingleFlightRaces.asyncCallerRetryingAtOnceAfterASharedFailure();
	}

	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void twoCallersOfAColdKeyShareOneExecution() {
		SingleFlightRaces.twoCallersOfAColdKeyShareOneExecution();
	}

	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void twoAsyncCallersOfAColdKeyShareOneExecution() {
		SingleFlightRaces.twoAsyncCallersOfAColdKeyShareOneExecution();
	}

	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void loadDetachedByARacingInvalidationIsNotStored() {
		SingleFlightRaces.invalidationRacingALoad();
	}

	@FrayTest(iterations = ITERATIONS, resetClassLoaderPerIteration = false)
	void asyncLoadDetachedByARacingInvalidationIsNotStored() {
		SingleFlightRaces.invalidationRacingAnAsyncLoad();
	}

}
