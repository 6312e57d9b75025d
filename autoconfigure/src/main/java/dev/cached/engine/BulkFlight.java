package dev.cached.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The bulk flight of a {@link SingleFlight}: a call for several keys at once
 * ({@code @CachedAll}) on the same registry, with the same Loads and the same owner
 * steps, per key. What a bulk caller observes:
 * <ul>
 * <li>Each key found in the store is a hit. Each key with a load in flight (a single
 * call's, another bulk call's) is joined, not loaded again. The caller owns the loads of
 * the remaining keys and runs the {@link BulkLoader} once, on its own thread, for those
 * keys only; when there are none, nothing runs.</li>
 * <li>Per key, every promise of {@link SingleFlight} holds: a value is published before
 * its load leaves the registry and completes, a key invalidated meanwhile is answered but
 * not stored, a failure of the execution completes every owned key's load with the same
 * exception instance (nothing is stored) and is thrown to the caller, a wait for a load of
 * the caller's own thread fails at once with {@link IllegalStateException} naming the
 * key.</li>
 * <li>A joined key whose wait timed out is loaded again by this caller, with the other
 * timed-out keys, in one execution whose values are its own (not stored); a joined key
 * whose owner was interrupted (G11) is taken over: this caller starts over for such keys
 * only.</li>
 * </ul>
 */
final class BulkFlight {

	/*
	 * Implementation notes.
	 *
	 * Order: register every missing key (step 1) and look each owned key up again (step
	 * 2), run the owned execution and finish each owned key (steps 3 to 6, through
	 * SingleFlight.succeed/fail), and only then wait for the joined keys. A bulk caller
	 * therefore never waits while it holds a load of its own that is not finished: two
	 * bulk calls that own and join each other's keys cannot deadlock, and a load of this
	 * thread that another thread waits for is never delayed by this caller's waits.
	 *
	 * The owned Loads carry this thread as their owner while the execution runs, like a
	 * blocking owner's Load, so BlockingJoin's cycle check sees them; a joined Load whose
	 * owner is this thread is a recursion (G5): the caller abandons the Loads it just
	 * registered (their joiners start over, as after G11) and throws.
	 *
	 * Joins share one deadline: the wait timeout counts from the first wait, so a bulk
	 * call waits at most wait-timeout in all, and every key whose load has not finished by
	 * then is loaded again in one execution.
	 */

	private final SingleFlight flight;

	BulkFlight(SingleFlight flight) {
		this.flight = flight;
	}

	/**
	 * Return the value of each key: stored, joined or loaded.
	 * @param keys the keys, distinct
	 * @param loader the bulk method
	 * @param context the caller's context
	 * @return the values, in the order of {@code keys} ({@code null}: no value)
	 * @throws Throwable as {@link CachedCache#getAll} says
	 */
	@Nullable Object[] load(List<Object> keys, BulkLoader loader, Object context) throws Throwable {
		@Nullable Object[] values = new Object[keys.size()];
		List<Integer> missing = new ArrayList<>();
		Store store = this.flight.store;
		CacheStatistics statistics = this.flight.statistics;
		for (int i = 0; i < keys.size(); i++) {
			Object stored = store.lookup(keys.get(i));
			if (stored != null) {
				statistics.recordHit();
				values[i] = NullValue.unmask(stored);
			}
			else {
				missing.add(i);
			}
		}
		if (!missing.isEmpty()) {
			loadMissing(keys, missing, values, loader, context, LoadObserver.Trigger.MISS);
		}
		return values;
	}

	private void loadMissing(List<Object> keys, List<Integer> missing, @Nullable Object[] values, BulkLoader loader,
			Object context, LoadObserver.Trigger trigger) throws Throwable {
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
					Object value = NullValue.unmask(stored);
					flight.statistics.recordHit();
					flight.succeed(key, load, value, false);
					values[i] = value;
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
				throw recursion;
			}
			else {
				joined.add(i);
				joinedLoads.add(running);
			}
		}
		if (!owned.isEmpty()) {
			own(keys, owned, ownedLoads, values, loader, context, trigger);
		}
		if (!joined.isEmpty()) {
			join(keys, joined, joinedLoads, values, loader, context);
		}
	}

	/** Steps 3 to 6 for the owned keys: one execution, then each key published and completed. */
	private void own(List<Object> keys, List<Integer> owned, List<Load> loads, @Nullable Object[] values,
			BulkLoader loader, Object context, LoadObserver.Trigger trigger) throws Throwable {
		SingleFlight flight = this.flight;
		OwnedBatch batch = OwnedBatch.start(flight, keys, owned, loads, trigger);
		List<Object> ownedKeys = batch.keys();
		Object observation = batch.observation();
		LoadObserver.Scope scope = batch.scope();
		BulkOwnerCall call = new BulkOwnerCall(flight, ownedKeys, loads, loader, context);
		Throwable failure = null;
		int finished = 0;
		try {
			RemoteCache tier = flight.tier;
			Map<Object, @Nullable Object> answer = (tier == RemoteCache.LOCAL) ? call.run(ownedKeys)
					: tier.loadAll(ownedKeys, loads, call);
			for (; finished < owned.size(); finished++) {
				Object key = ownedKeys.get(finished);
				Load load = loads.get(finished);
				Object value = answer.get(key);
				boolean shared = load.isFromSharedTier();
				if (shared) {
					flight.statistics.recordHit();
				}
				flight.succeed(key, load, value, shared || call.storable(key));
				values[owned.get(finished)] = value;
			}
		}
		catch (Throwable ex) {
			failure = ex;
			boolean abandoned = Execution.isInterruption(ex, Thread.currentThread().isInterrupted());
			for (int j = finished; j < owned.size(); j++) {
				flight.fail(ownedKeys.get(j), loads.get(j), ex, abandoned);
			}
			throw ex;
		}
		finally {
			Execution.observed(flight, observation, scope, failure);
			if (call.ran && SingleFlight.logger.isDebugEnabled()) {
				SingleFlight.logger.debug("Cache '" + flight.cacheName + "' loaded " + owned.size()
						+ " key(s) in one bulk execution" + ((failure != null) ? " (failed: "
								+ failure.getClass().getName() + ")" : ""));
			}
		}
	}

	/**
	 * Wait for the joined keys, with one deadline for all; then take over the keys whose
	 * owner was interrupted, and run the keys whose wait timed out in one execution of
	 * this caller's own.
	 */
	private void join(List<Object> keys, List<Integer> joined, List<Load> loads, @Nullable Object[] values,
			BulkLoader loader, Object context) throws Throwable {
		SingleFlight flight = this.flight;
		long timeout = flight.waitTimeoutNanos;
		long deadline = (timeout >= 0) ? System.nanoTime() + timeout : 0;
		List<Integer> takeOver = new ArrayList<>();
		List<Object> timedOut = new ArrayList<>();
		List<Integer> timedOutIndexes = new ArrayList<>();
		for (int j = 0; j < joined.size(); j++) {
			int i = joined.get(j);
			long remaining = (timeout < 0) ? -1 : Math.max(0, deadline - System.nanoTime());
			Object outcome = BlockingJoin.await(flight, keys.get(i), loads.get(j), remaining);
			if (outcome == BlockingJoin.TAKE_OVER) {
				takeOver.add(i);
			}
			else if (outcome == BlockingJoin.TIMED_OUT) {
				timedOut.add(keys.get(i));
				timedOutIndexes.add(i);
			}
			else {
				values[i] = outcome;
			}
		}
		if (!takeOver.isEmpty()) {
			// the owner was interrupted: start over for those keys, as owner or joiner
			loadMissing(keys, takeOver, values, loader, context, LoadObserver.Trigger.TAKEOVER);
		}
		if (!timedOut.isEmpty()) {
			Map<Object, @Nullable Object> answer = unshared(timedOut, loader, context);
			for (int j = 0; j < timedOut.size(); j++) {
				values[timedOutIndexes.get(j)] = answer.get(timedOut.get(j));
			}
		}
	}

	/**
	 * One execution for the keys whose wait timed out, counted as a load (each key counted
	 * a miss when its wait timed out) and observed as one; its values are not stored.
	 */
	private Map<Object, @Nullable Object> unshared(List<Object> keys, BulkLoader loader, Object context)
			throws Throwable {
		SingleFlight flight = this.flight;
		CacheStatistics statistics = flight.statistics;
		LoadObserver observer = flight.observer;
		Object observation = observer.loadStarted(flight.cacheName, LoadObserver.Trigger.TIMEOUT, null);
		LoadObserver.Scope scope = (observation != null) ? observer.openScope(observation) : LoadObserver.Scope.NONE;
		Throwable failure = null;
		statistics.loadStarted();
		long start = System.nanoTime();
		try {
			Map<Object, @Nullable Object> answer = loader.loadAll(context, keys);
			statistics.recordLoadSuccess(System.nanoTime() - start);
			return answer;
		}
		catch (Throwable ex) {
			failure = ex;
			statistics.recordLoadFailure(System.nanoTime() - start);
			throw ex;
		}
		finally {
			Execution.observed(flight, observation, scope, failure);
		}
	}

	/**
	 * The call of a bulk owner, handed to the tier: counts a miss per key and a load per
	 * run, measures each run and sets the load time of the loads it ran for, and asks the
	 * loader whether each value may be stored. Used by one thread at a time.
	 */
	static final class BulkOwnerCall implements BulkCall {

		private final SingleFlight flight;

		private final Map<Object, Load> loads = new HashMap<>();

		private final BulkLoader loader;

		private final Object context;

		/** The keys a run gave a storable value, written by the running thread. */
		private final Map<Object, Boolean> storable = new HashMap<>();

		/** Whether {@link #run} was called. */
		boolean ran;

		BulkOwnerCall(SingleFlight flight, List<Object> keys, List<Load> loads, BulkLoader loader, Object context) {
			this.flight = flight;
			for (int i = 0; i < keys.size(); i++) {
				this.loads.put(keys.get(i), loads.get(i));
			}
			this.loader = loader;
			this.context = context;
		}

		@Override
		public Map<Object, @Nullable Object> run(List<Object> keys) throws Throwable {
			for (Object key : keys) {
				if (!this.loads.containsKey(key) || this.storable.containsKey(key)) {
					throw new IllegalStateException("The bulk call runs each of its keys once");
				}
			}
			this.ran = true;
			SingleFlight flight = this.flight;
			CacheStatistics statistics = flight.statistics;
			for (int i = 0; i < keys.size(); i++) {
				statistics.recordMiss();
			}
			statistics.loadStarted();
			long start = System.nanoTime();
			long began = flight.systemTicker ? start : flight.ticker.read();
			Map<Object, @Nullable Object> answer;
			try {
				answer = this.loader.loadAll(this.context, keys);
			}
			catch (Throwable ex) {
				statistics.recordLoadFailure(System.nanoTime() - start);
				throw ex;
			}
			long end = System.nanoTime();
			statistics.recordLoadSuccess(end - start);
			long loadNanos = (flight.systemTicker ? end : flight.ticker.read()) - began;
			Map<Object, @Nullable Object> values = new HashMap<>();
			for (Object key : keys) {
				Object value = answer.get(key);
				values.put(key, value);
				this.loads.get(key).loadNanos = loadNanos;
				this.storable.put(key, this.loader.isStorable(this.context, key, value));
			}
			return values;
		}

		@Override
		public boolean storable(Object key) {
			return Boolean.TRUE.equals(this.storable.get(key));
		}

		@Override
		public Object context() {
			return this.loader.tierContext(this.context);
		}

	}

}
