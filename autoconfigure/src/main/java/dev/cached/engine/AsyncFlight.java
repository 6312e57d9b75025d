package dev.cached.engine;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * The asynchronous flight of a {@link SingleFlight}: the same registry, the same Loads and
 * the same owner steps for calls whose result is a {@link CompletionStage}. What callers
 * observe:
 * <ul>
 * <li>The owner starts the call on its own thread and returns at once. The value is
 * published when the stage completes normally; an exceptional completion (unwrapped from
 * {@link java.util.concurrent.CompletionException}) is shared with the joined callers and
 * not stored; a cancelled stage counts as the owner's interruption (G11).</li>
 * <li>Every caller, owner included, gets a future of its own, so cancelling it touches
 * neither the load nor another caller.</li>
 * <li>No caller ever blocks: a joiner's wait timeout and a takeover run the call on the
 * {@link CompletableFuture#defaultExecutor() default asynchronous executor}.</li>
 * </ul>
 */
final class AsyncFlight {

	/*
	 * Implementation notes.
	 *
	 * Steps 1-2 run on the calling thread, as for a blocking owner. Step 3 hands the tier
	 * an AsyncCall: the local tier starts it on the calling thread at once; a shared tier
	 * may answer first and start it later on another thread (AsyncCall.detach copies the
	 * context first). Once the tier has returned, the owner thread is cleared from the
	 * Load: no thread runs it any more, so no joiner can be part of a cycle with it, and a
	 * later call on that thread is no recursion. Steps 4-6 run on the thread that completes
	 * the stage, through SingleFlight.succeed/fail, as a blocking owner does after its call
	 * returned. A call that throws instead of returning a stage is a failed load like any
	 * other.
	 *
	 * The Load and the call's stage are never handed out. An asynchronous joiner's wait
	 * timeout completes a private future with TIMED_OUT (CompletableFuture's delayer,
	 * cancelled when the load finishes first), and whichever comes first decides. Work that
	 * runs the call for a joiner (timeout, takeover) moves to the default asynchronous
	 * executor, never the delayer's thread nor the thread that completed the previous load.
	 */

	/** What completes an asynchronous joiner's wait when the wait timeout comes first. */
	private static final Object TIMED_OUT = new Object();

	private final SingleFlight flight;

	AsyncFlight(SingleFlight flight) {
		this.flight = flight;
	}

	/** See {@link SingleFlight#loadAsync(Object, AsyncLoader, Object)}. */
	CompletableFuture<@Nullable Object> load(Object key, AsyncLoader loader, Object context) {
		return load(key, loader, context, LoadObserver.Trigger.MISS, null);
	}

	/**
	 * A call as the owner of a new load or its joiner; {@code caller} is the wait handle
	 * of a caller that starts over on another thread after a takeover (see
	 * {@link LoadObserver#loadStarted}).
	 */
	private CompletableFuture<@Nullable Object> load(Object key, AsyncLoader loader, Object context,
			LoadObserver.Trigger trigger, @Nullable Object caller) {
		Load load = new Load(Thread.currentThread());
		Load running = this.flight.inFlight.putIfAbsent(key, load);
		if (running != null) {
			return join(key, running, loader, context);
		}
		CompletableFuture<@Nullable Object> mine = new CompletableFuture<>();
		own(key, load, loader, context, trigger, caller);
		load.thenAccept((outcome) -> deliver(mine, outcome));
		return mine;
	}

	/**
	 * Steps 2 and 3 on the owner's thread; 4 to 6 where the stage completes. The execution
	 * is observed from step 3 until its stage completes, current on this thread while the
	 * call starts.
	 */
	private void own(Object key, Load load, AsyncLoader loader, Object context, LoadObserver.Trigger trigger,
			@Nullable Object caller) {
		SingleFlight flight = this.flight;
		OwnerAsyncCall call = null;
		CompletionStage<?> stage;
		LoadObserver.Scope scope = LoadObserver.Scope.NONE;
		try {
			Object stored = flight.store.lookup(key);
			if (stored != null) {
				Object value = NullValue.unmask(stored);
				flight.statistics.recordHit();
				flight.succeed(key, load, value, false);
				return;
			}
			Object observation = flight.observer.loadStarted(flight.cacheName, trigger,
					(caller != null) ? caller : loader.caller());
			if (observation != null) {
				load.observation = observation;
				scope = flight.observer.openScope(observation);
			}
			call = new OwnerAsyncCall(flight, load, loader, context);
			stage = flight.tier.loadAsync(key, load, call);
		}
		catch (Throwable ex) {
			scope.close();
			finish(key, load, call, null, ex, Thread.currentThread().isInterrupted());
			return;
		}
		finally {
			// the call has returned its stage, or starts elsewhere: no thread runs this load any more
			load.owner = null;
		}
		scope.close();
		OwnerAsyncCall started = call;
		if (stage == null) {
			finish(key, load, started, null, null, false);
		}
		else {
			stage.whenComplete((value, error) -> finish(key, load, started, value, error, false));
		}
	}

	/** Steps 4 to 6 of an asynchronous owner, where its stage completed. */
	private void finish(Object key, Load load, @Nullable OwnerAsyncCall call, @Nullable Object value,
			@Nullable Throwable error, boolean ownerInterrupted) {
		SingleFlight flight = this.flight;
		Throwable failed = null;
		try {
			if (error == null) {
				boolean shared = load.isFromSharedTier();
				if (shared) {
					flight.statistics.recordHit();
				}
				flight.succeed(key, load, value, shared || (call != null && call.storable()));
			}
			else {
				failed = Execution.unwrap(error);
				flight.fail(key, load, failed, failed instanceof CancellationException
						|| Execution.isInterruption(failed, ownerInterrupted));
			}
		}
		catch (Throwable ex) {
			// the store failed: shared like a failure of the call
			failed = ex;
			flight.fail(key, load, ex, false);
		}
		finally {
			Execution.observed(flight, load.observation, LoadObserver.Scope.NONE, failed);
			if (call != null && call.started && SingleFlight.logger.isDebugEnabled()) {
				Execution.log(flight, key, load, System.nanoTime() - call.startNanos);
			}
		}
	}

	private CompletableFuture<@Nullable Object> join(Object key, Load running, AsyncLoader loader, Object context) {
		CompletableFuture<@Nullable Object> mine = new CompletableFuture<>();
		if (running.owner == Thread.currentThread()) {
			mine.completeExceptionally(this.flight.recursion(key));
			return mine;
		}
		SingleFlight flight = this.flight;
		CacheStatistics statistics = flight.statistics;
		statistics.recordCoalesced();
		Load.JOINED.incrementAndGet(running);
		Object wait = flight.observer.waitStarted(flight.cacheName, running);
		if (wait != null) {
			// the caller's own cancellation (a disposed subscription) ends its wait
			mine.whenComplete((value, error) -> {
				if (error instanceof CancellationException) {
					flight.observer.waitEnded(wait, LoadObserver.Outcome.CANCELLED, null);
				}
			});
		}
		CompletableFuture<Object> waited = running;
		if (this.flight.waitTimeoutNanos >= 0) {
			waited = new CompletableFuture<>();
			running.thenAccept(waited::complete);
			waited.completeOnTimeout(TIMED_OUT, this.flight.waitTimeoutNanos, TimeUnit.NANOSECONDS);
		}
		waited.thenAccept((outcome) -> {
			if (outcome == TIMED_OUT) {
				statistics.recordMiss();
				ended(wait, LoadObserver.Outcome.TIMEOUT, null);
				CompletableFuture.runAsync(() -> runAlone(loader, context, mine, wait));
			}
			else if (outcome instanceof Load.Abandoned abandoned) {
				// no outcome received, so no hit: start over, as the owner of a new load or its
				// joiner, off the completing thread
				ended(wait, LoadObserver.Outcome.INTERRUPTED, abandoned.error());
				CompletableFuture.runAsync(() -> load(key, loader, context, LoadObserver.Trigger.TAKEOVER, wait)
					.whenComplete((value, error) -> {
						if (error != null) {
							mine.completeExceptionally(error);
						}
						else {
							mine.complete(value);
						}
					}));
			}
			else {
				// a hit once the shared outcome is received
				statistics.recordHit();
				if (outcome instanceof Load.Failure failure) {
					ended(wait, LoadObserver.Outcome.FAILURE, failure.error());
				}
				else {
					ended(wait, LoadObserver.Outcome.VALUE, null);
				}
				deliver(mine, outcome);
			}
		});
		return mine;
	}

	private void ended(@Nullable Object wait, LoadObserver.Outcome outcome, @Nullable Throwable failure) {
		if (wait != null) {
			this.flight.observer.waitEnded(wait, outcome, failure);
		}
	}

	/**
	 * A joiner whose wait timed out starts the call for itself; nothing is stored. Observed
	 * as an execution of its own, in the context of the caller's wait.
	 */
	private void runAlone(AsyncLoader loader, Object context, CompletableFuture<@Nullable Object> mine,
			@Nullable Object wait) {
		SingleFlight flight = this.flight;
		CacheStatistics statistics = flight.statistics;
		LoadObserver observer = flight.observer;
		Object observation = observer.loadStarted(flight.cacheName, LoadObserver.Trigger.TIMEOUT, wait);
		LoadObserver.Scope scope = (observation != null) ? observer.openScope(observation) : LoadObserver.Scope.NONE;
		statistics.loadStarted();
		long start = System.nanoTime();
		CompletionStage<?> stage;
		try {
			stage = loader.loadAsync(context);
		}
		catch (Throwable ex) {
			statistics.recordLoadFailure(System.nanoTime() - start);
			Execution.observed(flight, observation, scope, ex);
			mine.completeExceptionally(ex);
			return;
		}
		scope.close();
		if (stage == null) {
			statistics.recordLoadSuccess(System.nanoTime() - start);
			Execution.observed(flight, observation, LoadObserver.Scope.NONE, null);
			mine.complete(null);
			return;
		}
		stage.whenComplete((value, error) -> {
			long nanos = System.nanoTime() - start;
			if (error != null) {
				statistics.recordLoadFailure(nanos);
				Throwable failure = Execution.unwrap(error);
				Execution.observed(flight, observation, LoadObserver.Scope.NONE, failure);
				mine.completeExceptionally(failure);
			}
			else {
				statistics.recordLoadSuccess(nanos);
				Execution.observed(flight, observation, LoadObserver.Scope.NONE, null);
				mine.complete(value);
			}
		});
	}

	/** Complete an asynchronous caller's own future from a Load's outcome. */
	static void deliver(CompletableFuture<@Nullable Object> mine, @Nullable Object outcome) {
		if (outcome instanceof Load.Failure failure) {
			mine.completeExceptionally(failure.error());
		}
		else if (outcome instanceof Load.Abandoned abandoned) {
			mine.completeExceptionally(abandoned.error());
		}
		else {
			mine.complete(outcome);
		}
	}

	/**
	 * The call of an asynchronous owner, handed to the tier: counts a miss and a load when
	 * it starts, the load's outcome when its stage completes, and asks the loader once
	 * whether the value may be stored. Started once, by one thread.
	 */
	static final class OwnerAsyncCall implements RemoteCache.AsyncCall {

		private final SingleFlight flight;

		private final Load load;

		private final AsyncLoader loader;

		/** The owner's context; replaced by a copy in {@link #detach()}, before another thread starts. */
		private Object context;

		/** Written by the starting thread; read where the stage completes (after it). */
		volatile boolean started;

		volatile long startNanos;

		/** Written where the stage completes, before the stage handed to the tier completes. */
		private volatile boolean storable;

		OwnerAsyncCall(SingleFlight flight, Load load, AsyncLoader loader, Object context) {
			this.flight = flight;
			this.load = load;
			this.loader = loader;
			this.context = context;
		}

		@Override
		public @Nullable CompletionStage<?> start() throws Throwable {
			if (this.started) {
				throw new IllegalStateException("The call of a load starts once");
			}
			this.started = true;
			CacheStatistics statistics = this.flight.statistics;
			statistics.recordMiss();
			statistics.loadStarted();
			long start = System.nanoTime();
			this.startNanos = start;
			boolean systemTicker = this.flight.systemTicker;
			long began = systemTicker ? start : this.flight.ticker.read();
			Object context = this.context;
			CompletionStage<?> stage;
			try {
				stage = this.loader.loadAsync(context);
			}
			catch (Throwable ex) {
				statistics.recordLoadFailure(System.nanoTime() - start);
				throw ex;
			}
			if (stage == null) {
				statistics.recordLoadSuccess(System.nanoTime() - start);
				this.storable = this.loader.isStorable(context, null);
				return null;
			}
			CompletableFuture<@Nullable Object> counted = new CompletableFuture<>();
			stage.whenComplete((value, error) -> {
				long end = System.nanoTime();
				long nanos = end - start;
				if (error != null) {
					statistics.recordLoadFailure(nanos);
					counted.completeExceptionally(error);
					return;
				}
				this.load.loadNanos = (systemTicker ? end : this.flight.ticker.read()) - began;
				statistics.recordLoadSuccess(nanos);
				try {
					this.storable = this.loader.isStorable(context, value);
				}
				catch (Throwable ex) {
					// unless failed: shared like a failure of the call
					counted.completeExceptionally(ex);
					return;
				}
				counted.complete(value);
			});
			return counted;
		}

		@Override
		public RemoteCache.AsyncCall detach() {
			this.context = this.loader.refreshContext(this.context);
			return this;
		}

		@Override
		public boolean storable() {
			return this.storable;
		}

		@Override
		public Object context() {
			return this.context;
		}

	}

}
