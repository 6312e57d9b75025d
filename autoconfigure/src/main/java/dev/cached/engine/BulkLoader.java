package dev.cached.engine;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The work behind a bulk call ({@code @CachedAll}): one execution of the method for the
 * elements of several keys. It runs only for the caller that owns the loads of those keys
 * (or whose wait for them timed out), with that caller's context. Stateless, like
 * {@link Loader}.
 */
public interface BulkLoader {

	/**
	 * Run the bulk method for the elements of {@code keys}.
	 * @param context the calling caller's context (its method invocation)
	 * @param keys the keys to load, distinct, in the caller's order
	 * @return the values the method gave, by key: a key it leaves out has no value (a
	 * {@code null} value); a key that was not asked for is ignored
	 * @throws Throwable whatever the method throws
	 */
	Map<Object, @Nullable Object> loadAll(Object context, List<Object> keys) throws Throwable;

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
	 * Return what a shared tier reads the called method from (see
	 * {@link RemoteCache.Call#context()}): for a method invocation, the invocation.
	 * @param context the calling caller's context
	 * @return the context for the tier
	 */
	default Object tierContext(Object context) {
		return context;
	}

}
