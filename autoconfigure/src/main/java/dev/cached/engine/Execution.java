package dev.cached.engine;

import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.util.Locale;
import java.util.concurrent.CompletionException;

import org.jspecify.annotations.Nullable;

/**
 * One execution of a cache's method: counted (a miss, a load started and its outcome),
 * measured, and logged at debug level; and how its failure is classified (shared with the
 * joined callers, or the owner's own interruption, G11). Every flight runs the method
 * through here: a blocking owner ({@link SingleFlight}, {@link OwnerCall}), a background
 * reload ({@link ReloadFlight}), a joined caller whose wait timed out ({@link BlockingJoin}).
 * <p>
 * Each execution is also told to the cache's {@link LoadObserver}: {@link #observe} when it
 * starts (before the tier is asked, so that a shared tier's commands are part of it; the
 * handle goes on the {@link Load}, where a wait for it finds it) and {@link #observed} when
 * it ends. With {@link LoadObserver#NONE} both cost one call that returns at once.
 */
final class Execution {

	private Execution() {
	}

	/**
	 * Run the call of an owner (or a background reload) on this thread: count a miss (if
	 * {@code countsMiss}) and a load, measure it, and set the load time of {@code load}.
	 * The clock is read twice: at {@code start}, which the caller read, and at the end;
	 * with the system ticker, the two readings also give the load time of the stored entry.
	 * @param flight the registry the load belongs to
	 * @param load the load the call belongs to
	 * @param loader the work
	 * @param context the caller's context
	 * @param countsMiss whether the call counts as a miss (a load's owner, not a reload)
	 * @param start {@link System#nanoTime()} just before this call
	 * @return the value
	 * @throws Throwable whatever the loader threw
	 */
	static @Nullable Object owned(SingleFlight flight, Load load, Loader loader, Object context, boolean countsMiss,
			long start) throws Throwable {
		CacheStatistics statistics = flight.statistics;
		if (countsMiss) {
			statistics.recordMiss();
		}
		statistics.loadStarted();
		boolean systemTicker = flight.systemTicker;
		long began = systemTicker ? start : flight.ticker.read();
		Object value;
		try {
			value = loader.load(context);
		}
		catch (Throwable ex) {
			statistics.recordLoadFailure(System.nanoTime() - start);
			throw ex;
		}
		long end = System.nanoTime();
		statistics.recordLoadSuccess(end - start);
		load.loadNanos = (systemTicker ? end : flight.ticker.read()) - began;
		return value;
	}

	/**
	 * Run the call of a joined caller whose wait timed out, counted as a load (not as a
	 * miss: the caller counts that) and observed as one; its value is its own and not
	 * stored.
	 */
	static @Nullable Object unshared(SingleFlight flight, Loader loader, Object context) throws Throwable {
		CacheStatistics statistics = flight.statistics;
		LoadObserver observer = flight.observer;
		Object observation = observer.loadStarted(flight.cacheName, LoadObserver.Trigger.TIMEOUT, null);
		LoadObserver.Scope scope = (observation != null) ? observer.openScope(observation) : LoadObserver.Scope.NONE;
		Throwable failure = null;
		statistics.loadStarted();
		long start = System.nanoTime();
		try {
			Object value = loader.load(context);
			statistics.recordLoadSuccess(System.nanoTime() - start);
			return value;
		}
		catch (Throwable ex) {
			failure = ex;
			statistics.recordLoadFailure(System.nanoTime() - start);
			throw ex;
		}
		finally {
			observed(flight, observation, scope, failure);
		}
	}

	/**
	 * Tell the observer that the execution of {@code load} starts on this thread, keep its
	 * handle on the load, and make it current here.
	 * @return the scope to close when the work on this thread is done
	 */
	static LoadObserver.Scope observe(SingleFlight flight, Load load, LoadObserver.Trigger trigger) {
		LoadObserver observer = flight.observer;
		Object observation = observer.loadStarted(flight.cacheName, trigger, null);
		if (observation == null) {
			return LoadObserver.Scope.NONE;
		}
		load.observation = observation;
		return observer.openScope(observation);
	}

	/**
	 * Close the scope of an execution and tell the observer that it ended, if it was
	 * observed.
	 */
	static void observed(SingleFlight flight, @Nullable Object observation, LoadObserver.Scope scope,
			@Nullable Throwable failure) {
		scope.close();
		if (observation != null) {
			flight.observer.loadEnded(observation, failure);
		}
	}

	/**
	 * Whether a failed load ended because its owner was interrupted (G11), so that the
	 * joined callers take it over instead of sharing the failure.
	 * @param error the failure, unwrapped
	 * @param ownerInterrupted whether the owner's interrupt flag was set when it failed
	 * @return whether the failure is the owner's own
	 */
	static boolean isInterruption(Throwable error, boolean ownerInterrupted) {
		if (ownerInterrupted) {
			return true;
		}
		Throwable cause = error;
		for (int depth = 0; cause != null && depth < 32; depth++) {
			if (cause instanceof InterruptedException || cause instanceof InterruptedIOException
					|| cause instanceof ClosedByInterruptException) {
				return true;
			}
			cause = (cause.getCause() != cause) ? cause.getCause() : null;
		}
		return false;
	}

	/** The failure of an asynchronous call, without the {@link CompletionException}s around it. */
	static Throwable unwrap(Throwable error) {
		Throwable unwrapped = error;
		while (unwrapped instanceof CompletionException && unwrapped.getCause() != null) {
			unwrapped = unwrapped.getCause();
		}
		return unwrapped;
	}

	/** Log one finished load at debug level (the caller checks that debug is on). */
	static void log(SingleFlight flight, Object key, Load load, long nanos) {
		Object outcome = load.getNow(null);
		SingleFlight.logger.debug("Cache '" + flight.cacheName + "' loaded key " + key + " in "
				+ String.format(Locale.ROOT, "%.3f", nanos / 1_000_000.0) + " ms ("
				+ ((outcome instanceof Load.Failure failure) ? "failed: " + failure.error().getClass().getName()
						: (outcome instanceof Load.Abandoned abandoned)
								? "interrupted: " + abandoned.error().getClass().getName()
										+ ", left to the joined callers"
								: "success")
				+ (load.invalidated ? ", invalidated, not stored" : "") + "), " + load.joined
				+ " coalesced caller(s)");
	}

}
