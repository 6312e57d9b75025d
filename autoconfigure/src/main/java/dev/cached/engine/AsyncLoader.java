package dev.cached.engine;

import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;

/**
 * The work behind a cache whose method returns a future or a publisher: it starts the
 * call, on the caller's thread, and returns the stage of its eventual value. Like
 * {@link Loader}, it runs only for the caller that owns the load (or whose wait timed
 * out, or who took the load over), and is stateless.
 */
public interface AsyncLoader {

	/**
	 * Start the cached method.
	 * @param context the calling caller's context (its method invocation)
	 * @return the stage of the eventual value, or {@code null} for a {@code null} value
	 * @throws Throwable whatever the method throws before it returns its result
	 */
	@Nullable CompletionStage<?> loadAsync(Object context) throws Throwable;

	/**
	 * Return the context a call runs with on another thread, made on the calling thread
	 * (see {@link Loader#refreshContext(Object)}).
	 * @param context the calling caller's context
	 * @return the context for the other thread
	 */
	default Object refreshContext(Object context) {
		return context;
	}

	/**
	 * Return what the {@link LoadObserver} is given as the caller of an execution this
	 * loader runs, when the caller's context is not the current thread's (e.g. the trace
	 * context of the subscription that starts it, as a Reactor {@code Context} carries it).
	 * @return the caller, or {@code null} for the current thread's context
	 */
	default @Nullable Object caller() {
		return null;
	}

	/**
	 * Whether the owner should publish this eventual value ({@code unless} veto).
	 * @param context the calling caller's context
	 * @param result the value the stage of {@link #loadAsync(Object)} completed with
	 * @return {@code true} to store it
	 */
	default boolean isStorable(Object context, @Nullable Object result) {
		return true;
	}

}
