package dev.cached.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * One cache's view of a tier that several instances of the application share (such as
 * Redis). It plays two parts:
 * <ul>
 * <li>a <em>loader</em>: the owner of a local load hands it the {@link Call} it would
 * run. A cache whose values live in the tier looks there first and answers with the value
 * another instance stored ({@link Load#fromSharedTier(long)}), or waits for the instance
 * that loads the key, or takes the key's cluster-wide lease, runs the call, writes its
 * value and releases the lease, all in one method. Any other cache just runs the call.</li>
 * <li>a <em>writer</em>: every invalidation, clear and put of the cache reaches the tier
 * (and through it the other instances) before the local store.</li>
 * </ul>
 * An implementation never throws a failure of its own and bounds each step: a tier that
 * fails or is slow answers by running the call, so the caller always gets its value. What
 * it receives from the other instances it applies through
 * {@link CachedCache#invalidateLocally(Object)} and {@link CachedCache#invalidateAllLocally()}.
 * {@link #LOCAL} is the view of a cache with no tier.
 */
public interface RemoteCache {

	/** No shared tier: every load runs its call, writes stay local. */
	RemoteCache LOCAL = new RemoteCache() {

		@Override
		public @Nullable Object load(Object key, Load load, Call call) throws Throwable {
			return call.run();
		}

		@Override
		public @Nullable CompletionStage<?> loadAsync(Object key, Load load, AsyncCall call) throws Throwable {
			return call.start();
		}

		@Override
		public Map<Object, @Nullable Object> loadAll(List<Object> keys, List<Load> loads, BulkCall call)
				throws Throwable {
			return call.run(keys);
		}

		@Override
		public CompletionStage<? extends Map<Object, @Nullable Object>> loadAllAsync(List<Object> keys,
				List<Load> loads, AsyncBulkCall call) throws Throwable {
			return call.start(keys);
		}

		@Override
		public @Nullable Object reload(Object key, Load load, long takeIfRemainingAbove, Call call) throws Throwable {
			return call.run();
		}

		@Override
		public void put(Object key, @Nullable Object value, long ttlNanos) {
		}

		@Override
		public void invalidate(Object key) {
		}

		@Override
		public void invalidateAll() {
		}

	};

	/**
	 * What a {@link #reload} returns when another instance reloads the key: this instance
	 * keeps its stored value, which that instance's write will replace.
	 */
	Object SKIPPED = new Object() {

		@Override
		public String toString() {
			return "SKIPPED";
		}

	};

	/**
	 * Obtain the value of {@code key} for the owner of a local load that found nothing in
	 * the local store, on the owner's thread: from the tier, or by running {@code call} at
	 * most once (and then writing its value to the tier when it is
	 * {@link Call#storable() storable} and {@code load} was not invalidated).
	 * @param key the key
	 * @param load the owner's load
	 * @param call the method, counted as a load when it runs
	 * @return the value
	 * @throws Throwable what {@code call} threw, unchanged
	 */
	@Nullable Object load(Object key, Load load, Call call) throws Throwable;

	/**
	 * {@link #load} for the owner of the local loads of several keys (a bulk call): obtain
	 * their values on the owner's thread, from the tier or by running {@code call} for the
	 * keys still missing. A tier that can, reads the keys in one round trip, takes the
	 * leases of those still missing in one, and writes the values in one. This default
	 * takes each key on its own through {@link #load}, running the method for that key
	 * alone.
	 * @param keys the keys, distinct
	 * @param loads the owner's load of each key, in the same order
	 * @param call the method
	 * @return the values by key; a key left out has no value
	 * @throws Throwable what {@code call} threw, unchanged
	 */
	default Map<Object, @Nullable Object> loadAll(List<Object> keys, List<Load> loads, BulkCall call)
			throws Throwable {
		Map<Object, @Nullable Object> values = new HashMap<>();
		for (int i = 0; i < keys.size(); i++) {
			Object key = keys.get(i);
			values.put(key, load(key, loads.get(i), call.forKey(key)));
		}
		return values;
	}

	/**
	 * {@link #loadAll} for a bulk method whose answer is a future or a publisher, with the
	 * promises of {@link #loadAsync}. This default takes each key on its own through
	 * {@link #loadAsync}, starting the method for that key alone.
	 * @param keys the keys, distinct
	 * @param loads the owner's load of each key, in the same order
	 * @param call the method
	 * @return the stage of the values by key; a key left out has no value
	 * @throws Throwable what {@code call} threw before it returned a stage
	 */
	default CompletionStage<? extends Map<Object, @Nullable Object>> loadAllAsync(List<Object> keys, List<Load> loads,
			AsyncBulkCall call) throws Throwable {
		Map<Object, @Nullable Object> values = new ConcurrentHashMap<>();
		CompletableFuture<?>[] each = new CompletableFuture<?>[keys.size()];
		for (int i = 0; i < keys.size(); i++) {
			Object key = keys.get(i);
			CompletionStage<?> stage = loadAsync(key, loads.get(i), call.forKey(key));
			CompletableFuture<Object> value = new CompletableFuture<>();
			if (stage == null) {
				value.complete(null);
			}
			else {
				stage.whenComplete((result, error) -> {
					if (error != null) {
						value.completeExceptionally(error);
					}
					else {
						if (result != null) {
							values.put(key, result);
						}
						value.complete(result);
					}
				});
			}
			each[i] = value;
		}
		return CompletableFuture.allOf(each).thenApply((ignored) -> values);
	}

	/**
	 * {@link #load} for a method whose result is a future or a publisher. Never blocks the
	 * calling thread, nor the thread that completes the call's stage: every step of the
	 * tier is asynchronous. A call that starts after the tier answered starts on
	 * {@link java.util.concurrent.CompletableFuture#defaultExecutor() the default
	 * asynchronous executor}, from {@link AsyncCall#detach()}.
	 * @param key the key
	 * @param load the owner's load
	 * @param call the method
	 * @return the stage of the value, or {@code null} for a {@code null} value
	 * @throws Throwable what {@code call} threw before it returned a stage
	 */
	@Nullable CompletionStage<?> loadAsync(Object key, Load load, AsyncCall call) throws Throwable;

	/**
	 * Obtain a new value of a stored {@code key} for a background reload, on the refresh
	 * executor: the tier's own value if another instance has just reloaded it (it lives
	 * there longer than {@code takeIfRemainingAbove}), else {@link #SKIPPED} if another
	 * instance is reloading it, else the value of {@code call}, written to the tier.
	 * @param key the key
	 * @param load the reload's load ({@link Load#replaces()} is the stored entry)
	 * @param takeIfRemainingAbove how long the tier's value must still live to be taken
	 * instead of reloading, in nanoseconds ({@link Long#MAX_VALUE}: never)
	 * @param call the method
	 * @return the value, or {@link #SKIPPED}
	 * @throws Throwable what {@code call} threw, unchanged
	 */
	@Nullable Object reload(Object key, Load load, long takeIfRemainingAbove, Call call) throws Throwable;

	/**
	 * Store a value put directly ({@code @CachePut}), winning over any load of the key
	 * running anywhere, and tell every other instance to drop its copy.
	 * @param key the key
	 * @param value the value, possibly {@code null}
	 * @param ttlNanos the time to live, or a negative number for none
	 */
	void put(Object key, @Nullable Object value, long ttlNanos);

	/**
	 * Remove {@code key} from the tier (so that no load running anywhere can write it) and
	 * tell every other instance to drop it.
	 * @param key the key
	 */
	void invalidate(Object key);

	/**
	 * Remove every key of the cache from the tier and tell every other instance to clear
	 * the cache.
	 */
	void invalidateAll();

	/**
	 * The method call of a load's owner, as the engine counts it (a miss and a load).
	 */
	interface Call {

		/**
		 * Run the method on the calling thread.
		 * @return its result
		 * @throws Throwable what it threw
		 */
		@Nullable Object run() throws Throwable;

		/**
		 * After {@link #run()} returned: whether its value may be stored ({@code unless},
		 * {@code cache-null-values}), in the tier as locally.
		 * @return whether the value may be stored
		 */
		boolean storable();

		/**
		 * Return the caller's context (for a method invocation, its
		 * {@code MethodInvocation}): a tier that keeps values reads them as the called
		 * method's type, since several methods may share a cache.
		 * @return the context, or {@code null} if unknown
		 */
		default @Nullable Object context() {
			return null;
		}

	}

	/**
	 * The asynchronous method call of a load's owner.
	 */
	interface AsyncCall {

		/**
		 * Start the method on the calling thread (the owner's).
		 * @return the stage of its value, or {@code null} for a {@code null} value
		 * @throws Throwable what it threw before it returned a stage
		 */
		@Nullable CompletionStage<?> start() throws Throwable;

		/**
		 * Return a call that starts the method with a copy of the owner's context, on
		 * another thread; made on the owner's thread before it hands the load elsewhere.
		 * @return the detached call
		 */
		AsyncCall detach();

		/**
		 * After the started stage completed normally: whether its value may be stored
		 * ({@code unless}, {@code cache-null-values}), in the tier as locally.
		 * @return whether the value may be stored
		 */
		boolean storable();

		/**
		 * Return the caller's context, as {@link Call#context()}.
		 * @return the context, or {@code null} if unknown
		 */
		default @Nullable Object context() {
			return null;
		}

	}

}
