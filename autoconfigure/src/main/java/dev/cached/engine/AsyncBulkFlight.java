package dev.cached.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * The asynchronous form of {@link BulkFlight}: a bulk call whose method returns a future
 * or a publisher of its answer. The same registry, Loads and owner steps per key, and
 * what {@link BulkFlight} promises, with what {@link AsyncFlight} promises of an
 * asynchronous call: the owner starts its one execution on its own thread and returns at
 * once; each key is published, unregistered and completed where the execution's stage
 * completes (a cancelled stage counts as the owner's interruption, G11); no caller ever
 * blocks: joined keys are awaited through their Loads, a wait timeout completes through
 * {@link CompletableFuture#completeOnTimeout}, and the execution for timed-out keys and a
 * takeover start on the {@link CompletableFuture#defaultExecutor() default asynchronous
 * executor}, never on the thread that completed a load.
 */
final class AsyncBulkFlight {

	/** What completes a joined key's wait when the wait timeout comes first. */
	private static final Object TIMED_OUT = new Object();

	private final SingleFlight flight;

	AsyncBulkFlight(SingleFlight flight) {
		this.flight = flight;
	}

	/** See {@link CachedCache#getAllAsync}. */
	CompletableFuture<@Nullable Object[]> load(List<Object> keys, AsyncBulkLoader loader, Object context) {
		@Nullable Object[] values = new Object[keys.size()];
		List<Integer> missing = new ArrayList<>();
		for (int i = 0; i < keys.size(); i++) {
			Object stored = this.flight.store.lookup(keys.get(i));
			if (stored != null) {
				this.flight.statistics.recordHit();
				values[i] = NullValue.unmask(stored);
			}
			else {
				missing.add(i);
			}
		}
		CompletableFuture<@Nullable Object[]> result = new CompletableFuture<>();
		if (missing.isEmpty()) {
			result.complete(values);
			return result;
		}
		loadMissing(keys, missing, values, loader, context, LoadObserver.Trigger.MISS).whenComplete((done, error) -> {
			if (error != null) {
				result.completeExceptionally(Execution.unwrap(error));
			}
			else {
				result.complete(values);
			}
		});
		return result;
	}

	private CompletableFuture<@Nullable Void> loadMissing(List<Object> keys, List<Integer> missing,
			@Nullable Object[] values, AsyncBulkLoader loader, Object context, LoadObserver.Trigger trigger) {
		SingleFlight flight = this.flight;
		Thread self = Thread.currentThread();
		List<Integer> owned = new ArrayList<>();
		List<Load> ownedLoads = new ArrayList<>();
		List<Integer> joined = new ArrayList<>();
		List<Load> joinedLoads = new ArrayList<>();
		for (int i : missing) {
			Object key = keys.get(i);
			Load load = new Load(self);
			Load running = flight.inFlight.putIfAbsent(key, load);
			if (running == null) {
				Object stored = flight.store.lookup(key);
				if (stored != null) {
					values[i] = NullValue.unmask(stored);
					flight.statistics.recordHit();
					flight.succeed(key, load, values[i], false);
				}
				else {
					owned.add(i);
					ownedLoads.add(load);
				}
			}
			else if (running.owner == self) {
				IllegalStateException recursion = flight.recursion(key);
				for (int j = 0; j < owned.size(); j++) {
					flight.fail(keys.get(owned.get(j)), ownedLoads.get(j), recursion, true);
				}
				return CompletableFuture.failedFuture(recursion);
			}
			else {
				joined.add(i);
				joinedLoads.add(running);
			}
		}
		CompletableFuture<@Nullable Void> ownDone = owned.isEmpty() ? CompletableFuture.completedFuture(null)
				: own(keys, owned, ownedLoads, values, loader, context, trigger);
		if (joined.isEmpty()) {
			return ownDone;
		}
		CompletableFuture<@Nullable Void> joinDone = join(keys, joined, joinedLoads, values, loader, context);
		CompletableFuture<@Nullable Void> done = new CompletableFuture<>();
		ownDone.whenComplete((ignored, error) -> {
			if (error != null) {
				done.completeExceptionally(Execution.unwrap(error));
			}
			else {
				joinDone.whenComplete((joinedToo, joinError) -> {
					if (joinError != null) {
						done.completeExceptionally(Execution.unwrap(joinError));
					}
					else {
						done.complete(null);
					}
				});
			}
		});
		return done;
	}

	/** Step 3 on the owner's thread; 4 to 6 per key where the execution's stage completes. */
	private CompletableFuture<@Nullable Void> own(List<Object> keys, List<Integer> owned, List<Load> loads,
			@Nullable Object[] values, AsyncBulkLoader loader, Object context, LoadObserver.Trigger trigger) {
		SingleFlight flight = this.flight;
		OwnedBatch batch = OwnedBatch.start(flight, keys, owned, loads, trigger);
		List<Object> ownedKeys = batch.keys();
		Object observation = batch.observation();
		LoadObserver.Scope scope = batch.scope();
		BulkAsyncCall call = new BulkAsyncCall(flight, ownedKeys, loads, loader, context);
		CompletableFuture<@Nullable Void> done = new CompletableFuture<>();
		CompletionStage<? extends Map<Object, @Nullable Object>> stage;
		try {
			RemoteCache tier = flight.tier;
			stage = (tier == RemoteCache.LOCAL) ? call.start(ownedKeys) : tier.loadAllAsync(ownedKeys, loads, call);
		}
		catch (Throwable ex) {
			scope.close();
			finish(ownedKeys, loads, owned, values, call, null, ex, Thread.currentThread().isInterrupted(), done,
					observation);
			return done;
		}
		finally {
			// the execution has returned its stage: no thread runs these loads any more
			for (Load load : loads) {
				load.owner = null;
			}
		}
		scope.close();
		stage.whenComplete((answer, error) -> finish(ownedKeys, loads, owned, values, call, answer, error, false, done,
				observation));
		return done;
	}

	private void finish(List<Object> keys, List<Load> loads, List<Integer> owned, @Nullable Object[] values,
			BulkAsyncCall call, @Nullable Map<Object, @Nullable Object> answer, @Nullable Throwable error,
			boolean ownerInterrupted, CompletableFuture<@Nullable Void> done, @Nullable Object observation) {
		SingleFlight flight = this.flight;
		Throwable failed = (error != null) ? Execution.unwrap(error) : null;
		int finished = 0;
		try {
			if (failed == null) {
				for (; finished < keys.size(); finished++) {
					Object key = keys.get(finished);
					Load load = loads.get(finished);
					Object value = (answer != null) ? answer.get(key) : null;
					boolean shared = load.isFromSharedTier();
					if (shared) {
						flight.statistics.recordHit();
					}
					flight.succeed(key, load, value, shared || call.storable(key));
					values[owned.get(finished)] = value;
				}
			}
		}
		catch (Throwable ex) {
			// the store failed: shared like a failure of the call
			failed = ex;
		}
		if (failed != null) {
			boolean abandoned = failed instanceof CancellationException
					|| Execution.isInterruption(failed, ownerInterrupted);
			for (int j = finished; j < keys.size(); j++) {
				flight.fail(keys.get(j), loads.get(j), failed, abandoned);
			}
		}
		Execution.observed(flight, observation, LoadObserver.Scope.NONE, failed);
		if (failed != null) {
			done.completeExceptionally(failed);
		}
		else {
			done.complete(null);
		}
	}

	/**
	 * Wait for the joined keys without blocking; then take over the keys whose owner was
	 * interrupted, and run the keys whose wait timed out in one execution of this caller's
	 * own, both on the default asynchronous executor.
	 */
	private CompletableFuture<@Nullable Void> join(List<Object> keys, List<Integer> joined, List<Load> loads,
			@Nullable Object[] values, AsyncBulkLoader loader, Object context) {
		SingleFlight flight = this.flight;
		List<CompletableFuture<Object>> waits = new ArrayList<>(joined.size());
		for (Load running : loads) {
			flight.statistics.recordCoalesced();
			Load.JOINED.incrementAndGet(running);
			CompletableFuture<Object> waited = running;
			if (flight.waitTimeoutNanos >= 0) {
				waited = new CompletableFuture<>();
				running.thenAccept(waited::complete);
				waited.completeOnTimeout(TIMED_OUT, flight.waitTimeoutNanos, TimeUnit.NANOSECONDS);
			}
			waits.add(waited);
		}
		Object detached = loader.refreshContext(context);
		CompletableFuture<@Nullable Void> done = new CompletableFuture<>();
		CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, error) -> {
			List<Integer> takeOver = new ArrayList<>();
			List<Object> timedOut = new ArrayList<>();
			List<Integer> timedOutIndexes = new ArrayList<>();
			Throwable failure = null;
			for (int j = 0; j < joined.size(); j++) {
				int i = joined.get(j);
				Object outcome = waits.get(j).getNow(null);
				if (outcome == TIMED_OUT) {
					flight.statistics.recordMiss();
					timedOut.add(keys.get(i));
					timedOutIndexes.add(i);
				}
				else if (outcome instanceof Load.Abandoned) {
					takeOver.add(i);
				}
				else {
					flight.statistics.recordHit();
					if (outcome instanceof Load.Failure shared) {
						failure = (failure != null) ? failure : shared.error();
					}
					else {
						values[i] = outcome;
					}
				}
			}
			if (failure != null) {
				done.completeExceptionally(failure);
				return;
			}
			if (takeOver.isEmpty() && timedOut.isEmpty()) {
				done.complete(null);
				return;
			}
			CompletableFuture.runAsync(() -> rest(keys, takeOver, timedOut, timedOutIndexes, values, loader, detached,
					done));
		});
		return done;
	}

	/** Off the completing thread: the takeover, then the timed-out keys. */
	private void rest(List<Object> keys, List<Integer> takeOver, List<Object> timedOut, List<Integer> timedOutIndexes,
			@Nullable Object[] values, AsyncBulkLoader loader, Object context, CompletableFuture<@Nullable Void> done) {
		CompletableFuture<@Nullable Void> takenOver = takeOver.isEmpty() ? CompletableFuture.completedFuture(null)
				: loadMissing(keys, takeOver, values, loader, context, LoadObserver.Trigger.TAKEOVER);
		takenOver.whenComplete((ignored, error) -> {
			if (error != null) {
				done.completeExceptionally(Execution.unwrap(error));
				return;
			}
			if (timedOut.isEmpty()) {
				done.complete(null);
				return;
			}
			unshared(timedOut, loader, context).whenComplete((answer, failure) -> {
				if (failure != null) {
					done.completeExceptionally(Execution.unwrap(failure));
					return;
				}
				for (int j = 0; j < timedOut.size(); j++) {
					values[timedOutIndexes.get(j)] = (answer != null) ? answer.get(timedOut.get(j)) : null;
				}
				done.complete(null);
			});
		});
	}

	/** One execution for the keys whose wait timed out, counted as a load; not stored. */
	private CompletableFuture<@Nullable Map<Object, @Nullable Object>> unshared(List<Object> keys,
			AsyncBulkLoader loader, Object context) {
		SingleFlight flight = this.flight;
		CacheStatistics statistics = flight.statistics;
		LoadObserver observer = flight.observer;
		Object observation = observer.loadStarted(flight.cacheName, LoadObserver.Trigger.TIMEOUT, null);
		LoadObserver.Scope scope = (observation != null) ? observer.openScope(observation) : LoadObserver.Scope.NONE;
		statistics.loadStarted();
		long start = System.nanoTime();
		CompletableFuture<@Nullable Map<Object, @Nullable Object>> result = new CompletableFuture<>();
		CompletionStage<? extends Map<Object, @Nullable Object>> stage;
		try {
			stage = loader.loadAllAsync(context, keys);
		}
		catch (Throwable ex) {
			statistics.recordLoadFailure(System.nanoTime() - start);
			Execution.observed(flight, observation, scope, ex);
			result.completeExceptionally(ex);
			return result;
		}
		scope.close();
		if (stage == null) {
			statistics.recordLoadSuccess(System.nanoTime() - start);
			Execution.observed(flight, observation, LoadObserver.Scope.NONE, null);
			result.complete(null);
			return result;
		}
		stage.whenComplete((answer, error) -> {
			long nanos = System.nanoTime() - start;
			Throwable failure = (error != null) ? Execution.unwrap(error) : null;
			if (failure != null) {
				statistics.recordLoadFailure(nanos);
				result.completeExceptionally(failure);
			}
			else {
				statistics.recordLoadSuccess(nanos);
				result.complete(answer);
			}
			Execution.observed(flight, observation, LoadObserver.Scope.NONE, failure);
		});
		return result;
	}

}
