package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * The work behind a cache: it runs only for the caller that owns the load (or whose wait
 * timed out), with that caller's context. Stateless, so one instance serves every call
 * and a hit allocates nothing.
 */
public interface Loader {

	/**
	 * Run the cached method.
	 * @param context the calling caller's context (its method invocation)
	 * @return the result
	 * @throws Throwable whatever the method throws
	 */
	@Nullable Object load(Object context) throws Throwable;

	/**
	 * Whether the owner should publish this result ({@code unless} veto).
	 * @param context the calling caller's context
	 * @param result the result of {@link #load(Object)}
	 * @return {@code true} to store it
	 */
	default boolean isStorable(Object context, @Nullable Object result) {
		return true;
	}

	/**
	 * Return a context that may run on another thread after the calling caller has
	 * returned (for a method invocation: a clone that proceeds through the rest of the
	 * advice chain): for a background reload, or an asynchronous load that starts where a
	 * shared tier answered.
	 * @param context the calling caller's context
	 * @return the context for the other thread
	 */
	default Object refreshContext(Object context) {
		return context;
	}

}
