package dev.cached.engine;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;

/**
 * The asynchronous method call of a bulk owner, as the engine counts it.
 */
public interface AsyncBulkCall {

	/**
	 * Start the method once, on the calling thread, for the elements of {@code keys}.
	 * @param keys some of the owner's keys, distinct
	 * @return the stage of the values by key; a key left out has no value
	 * @throws Throwable what it threw before it returned a stage
	 */
	CompletionStage<Map<Object, @Nullable Object>> start(List<Object> keys) throws Throwable;

	/**
	 * Return a call that starts the method with a copy of the owner's context, on
	 * another thread; made on the owner's thread.
	 * @return the detached call
	 */
	AsyncBulkCall detach();

	/**
	 * After a started stage completed normally: whether the value of {@code key} may
	 * be stored, in the tier as locally.
	 * @param key a key it started for
	 * @return whether its value may be stored
	 */
	boolean storable(Object key);

	/**
	 * Return the call of one key: it starts the method for that key alone.
	 * @param key one of the owner's keys
	 * @return the call
	 */
	default RemoteCache.AsyncCall forKey(Object key) {
		AsyncBulkCall bulk = this;
		return new RemoteCache.AsyncCall() {

			@Override
			public CompletionStage<?> start() throws Throwable {
				return bulk.start(List.of(key)).thenApply((values) -> values.get(key));
			}

			@Override
			public RemoteCache.AsyncCall detach() {
				bulk.detach();
				return this;
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
