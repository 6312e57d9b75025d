package dev.cached.engine;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;

/**
 * The work behind a bulk call whose method returns a future or a publisher of its
 * answer: it starts one execution of the method for the elements of several keys, on the
 * caller's thread, and returns the stage of the values by key. Like {@link BulkLoader},
 * it runs only for the caller that owns the loads (or whose wait timed out, or who took
 * them over).
 */
public interface AsyncBulkLoader {

	/**
	 * Start the bulk method for the elements of {@code keys}.
	 * @param context the calling caller's context (its method invocation)
	 * @param keys the keys to load, distinct, in the caller's order
	 * @return the stage of the values by key (a key left out has no value), or
	 * {@code null} for no values at all
	 * @throws Throwable whatever the method throws before it returns its result
	 */
	@Nullable CompletionStage<? extends Map<Object, @Nullable Object>> loadAllAsync(Object context, List<Object> keys)
			throws Throwable;

	/**
	 * Whether the owner should publish the value of one key ({@code unless} veto).
	 * @param context the calling caller's context
	 * @param key the key
	 * @param value its value, {@code null} for none
	 * @return {@code true} to store it
	 */
	default boolean isStorable(Object context, Object key, @Nullable Object value) {
		return true;
	}

	/**
	 * Return the context a call runs with on another thread (a wait timeout or a
	 * takeover), made on the calling thread (see {@link Loader#refreshContext(Object)}).
	 * @param context the calling caller's context
	 * @return the context for the other thread
	 */
	default Object refreshContext(Object context) {
		return context;
	}

}
