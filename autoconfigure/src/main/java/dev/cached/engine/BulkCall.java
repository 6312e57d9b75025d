package dev.cached.engine;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The method call of a bulk owner, as the engine counts it: each key it runs for is a
 * miss, each run a load.
 */
public interface BulkCall {

	/**
	 * Run the method once, on the calling thread, for the elements of {@code keys}.
	 * @param keys some of the owner's keys, distinct
	 * @return the values by key; a key left out has no value
	 * @throws Throwable what it threw
	 */
	Map<Object, @Nullable Object> run(List<Object> keys) throws Throwable;

	/**
	 * After {@link #run} returned the value of {@code key}: whether it may be stored,
	 * in the tier as locally.
	 * @param key a key it ran for
	 * @return whether its value may be stored
	 */
	boolean storable(Object key);

	/**
	 * Return the call of one key: it runs the method for that key alone.
	 * @param key one of the owner's keys
	 * @return the call
	 */
	default RemoteCache.Call forKey(Object key) {
		BulkCall bulk = this;
		return new RemoteCache.Call() {

			@Override
			public @Nullable Object run() throws Throwable {
				return bulk.run(List.of(key)).get(key);
			}

			@Override
			public boolean storable() {
				return bulk.storable(key);
			}

			@Override
			public @Nullable Object context() {
				return bulk.context();
			}

		};
	}

	/**
	 * Return the caller's context, as {@link RemoteCache.Call#context()}.
	 * @return the context, or {@code null} if unknown
	 */
	default @Nullable Object context() {
		return null;
	}

}
