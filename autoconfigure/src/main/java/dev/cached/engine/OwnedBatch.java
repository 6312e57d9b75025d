package dev.cached.engine;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The keys a bulk owner ({@link BulkFlight}, {@link AsyncBulkFlight}) runs its one
 * execution for, and that execution as the {@link LoadObserver} was told of it: made by
 * {@link #start}, on the owner's thread, before the tier is asked (step 3), so that a
 * shared tier's commands are part of the execution.
 *
 * @param keys the owned keys, in the caller's order
 * @param observation the observer's handle of the execution, kept on every owned
 * {@link Load}, or {@code null} when it is not observed
 * @param scope what makes the handle current on the owner's thread, to close when the
 * work on that thread is done ({@link LoadObserver.Scope#NONE} when not observed)
 */
record OwnedBatch(List<Object> keys, @Nullable Object observation, LoadObserver.Scope scope) {

	/**
	 * Collect the owned keys, tell the observer that their execution starts on this
	 * thread, keep its handle on each of their loads, and make it current here.
	 * @param flight the registry the loads belong to
	 * @param keys the caller's keys
	 * @param owned the indexes in {@code keys} of the keys the caller owns
	 * @param loads the loads of the owned keys, in the order of {@code owned}
	 * @param trigger why the execution runs
	 * @return the batch
	 */
	static OwnedBatch start(SingleFlight flight, List<Object> keys, List<Integer> owned, List<Load> loads,
			LoadObserver.Trigger trigger) {
		List<Object> ownedKeys = new ArrayList<>(owned.size());
		for (int i : owned) {
			ownedKeys.add(keys.get(i));
		}
		LoadObserver observer = flight.observer;
		Object observation = observer.loadStarted(flight.cacheName, trigger, null);
		LoadObserver.Scope scope = LoadObserver.Scope.NONE;
		if (observation != null) {
			for (Load load : loads) {
				load.observation = observation;
			}
			scope = observer.openScope(observation);
		}
		return new OwnedBatch(ownedKeys, observation, scope);
	}

}
