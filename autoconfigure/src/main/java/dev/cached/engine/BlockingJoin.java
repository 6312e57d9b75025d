package dev.cached.engine;

import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;

/**
 * How a blocking caller joins a running load of a {@link SingleFlight}: it waits without
 * holding any lock or monitor, up to the wait timeout, and gets the load's outcome; it
 * fails at once instead of waiting for a load of its own thread (directly or through other
 * waiting threads); an interrupted wait throws {@link CacheWaitInterruptedException}; a
 * timed-out wait runs the call for this caller alone.
 */
final class BlockingJoin {

	/*
	 * Cycles: a joiner records the Load it waits for in WAITING, fences, and then follows
	 * owner -> waited Load -> owner... If the chain comes back to the caller's own thread,
	 * waiting would deadlock, so it fails instead. Both sides of a forming cycle record
	 * before they look, so at least one of them sees the cycle. A joiner whose wait timed
	 * out removes its record before it runs the call itself. A Load that no thread runs (an
	 * asynchronous one after its call returned, a reload not yet started) is no link.
	 */

	/** Written by a joining thread before it waits and removed after; read by any joiner. */
	private static final Map<Thread, Load> WAITING = new ConcurrentHashMap<>();

	/** What a join returns when its load was abandoned to the joiners (G11): start over. */
	static final Object TAKE_OVER = new Object();

	/** What {@link #await} returns when the wait timed out: the caller runs the call itself. */
	static final Object TIMED_OUT = new Object();

	private BlockingJoin() {
	}

	/**
	 * Wait for {@code running} and return its outcome, or {@link #TAKE_OVER}.
	 */
	static @Nullable Object join(SingleFlight flight, Object key, Load running, Loader loader, Object context)
			throws Throwable {
		Object outcome = await(flight, key, running, flight.waitTimeoutNanos);
		if (outcome == TIMED_OUT) {
			return Execution.unshared(flight, loader, context);
		}
		return outcome;
	}

	/**
	 * Wait for {@code running} at most {@code timeoutNanos} (-1: as long as it takes) and
	 * return its outcome, {@link #TAKE_OVER}, or {@link #TIMED_OUT} once the wait timed
	 * out (counted as a miss: the caller runs the call itself).
	 */
	static @Nullable Object await(SingleFlight flight, Object key, Load running, long timeoutNanos)
			throws Throwable {
		Thread self = Thread.currentThread();
		if (running.owner == self) {
			throw flight.recursion(key);
		}
		Object outcome;
		Object wait = null;
		WAITING.put(self, running);
		try {
			VarHandle.fullFence();
			if (waitsFor(running, self)) {
				throw new IllegalStateException("Cyclic load of cache '" + flight.cacheName + "' key '" + key
						+ "': the running load waits, through other threads, for a load of this thread");
			}
			flight.statistics.recordCoalesced();
			Load.JOINED.incrementAndGet(running);
			wait = flight.observer.waitStarted(flight.cacheName, running);
			outcome = (timeoutNanos < 0) ? running.get() : running.get(timeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			CacheWaitInterruptedException interrupted = new CacheWaitInterruptedException(flight.cacheName, ex);
			ended(flight, wait, LoadObserver.Outcome.INTERRUPTED, interrupted);
			throw interrupted;
		}
		catch (TimeoutException ex) {
			// no longer waiting: a caller running the method itself is no link of a cycle
			WAITING.remove(self);
			ended(flight, wait, LoadObserver.Outcome.TIMEOUT, null);
			flight.statistics.recordMiss();
			return TIMED_OUT;
		}
		catch (ExecutionException ex) {
			// never: a Load completes normally
			throw ex.getCause();
		}
		finally {
			WAITING.remove(self);
		}
		// outside of the try: the owner's exception is never this caller's interrupt or timeout
		if (outcome instanceof Load.Abandoned abandoned) {
			// no outcome received, so no hit: the retry counts this caller again
			ended(flight, wait, LoadObserver.Outcome.INTERRUPTED, abandoned.error());
			return TAKE_OVER;
		}
		// a hit once the shared outcome is received: no count is ever taken back
		flight.statistics.recordHit();
		if (outcome instanceof Load.Failure failure) {
			ended(flight, wait, LoadObserver.Outcome.FAILURE, failure.error());
			throw failure.error();
		}
		ended(flight, wait, LoadObserver.Outcome.VALUE, null);
		return outcome;
	}

	private static void ended(SingleFlight flight, @Nullable Object wait, LoadObserver.Outcome outcome,
			@Nullable Throwable failure) {
		if (wait != null) {
			flight.observer.waitEnded(wait, outcome, failure);
		}
	}

	/** Whether the owner of {@code load}, transitively, waits for a load of {@code self}. */
	private static boolean waitsFor(Load load, Thread self) {
		Load next = load;
		for (int hops = WAITING.size() + 1; next != null && hops > 0; hops--) {
			Thread owner = next.owner;
			if (next.isDone() || owner == null) {
				// a finished load wakes whoever waits for it, and a load that no thread runs
				// waits for nobody: the chain is no cycle
				return false;
			}
			if (owner == self) {
				return true;
			}
			next = WAITING.get(owner);
		}
		return false;
	}

}
