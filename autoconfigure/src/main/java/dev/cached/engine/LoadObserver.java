package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * Told about every execution of a cache's method and every caller that waits for one,
 * e.g. to observe them with Micrometer (see {@code dev.cached.observation}). A hit is never
 * told. {@link #NONE} does nothing and is what a cache has unless
 * {@link CacheRegistry#setLoadObserver(LoadObserver)} sets another.
 * <p>
 * An execution: {@link #loadStarted} on the thread that runs it, before the value is
 * obtained (through a shared tier, if any, whose commands the execution then covers);
 * {@link #openScope} around the part that runs on that thread; {@link #loadEnded} once,
 * where it ends (for an asynchronous result: where its stage completes). A wait:
 * {@link #waitStarted} on the joining caller's thread, {@link #waitEnded} where the wait
 * ends; for an asynchronous caller more than one end may be told (its own cancellation
 * races the load's outcome): only the first counts.
 */
public interface LoadObserver {

	/** Observes nothing, at no cost. */
	LoadObserver NONE = new LoadObserver() {
	};

	/**
	 * An execution starts.
	 * @param cacheName the cache
	 * @param trigger why the method runs
	 * @param caller for an execution that runs on another thread for a caller that waited
	 * (a wait timeout, a takeover), that caller's wait handle, whose parent the execution
	 * belongs to; for an asynchronous owner whose context is not the thread's, what its
	 * loader gives ({@link AsyncLoader#caller()}); otherwise {@code null} (the current
	 * thread's context is the parent)
	 * @return the execution's handle, or {@code null} if it is not observed
	 */
	default @Nullable Object loadStarted(String cacheName, Trigger trigger, @Nullable Object caller) {
		return null;
	}

	/**
	 * Make the execution current on this thread (what the method calls is part of it).
	 * @param load the handle from {@link #loadStarted}
	 * @return what {@link Scope#close()} ends
	 */
	default Scope openScope(Object load) {
		return Scope.NONE;
	}

	/**
	 * The execution ended.
	 * @param load the handle from {@link #loadStarted}
	 * @param failure what it failed with, or {@code null} for success
	 */
	default void loadEnded(Object load, @Nullable Throwable failure) {
	}

	/**
	 * A caller joins a running load.
	 * @param cacheName the cache
	 * @param running the load it waits for ({@link Load#observation()} is that load's
	 * handle, possibly not yet set: read it when the wait ends)
	 * @return the wait's handle, or {@code null} if it is not observed
	 */
	default @Nullable Object waitStarted(String cacheName, Load running) {
		return null;
	}

	/**
	 * A wait ended; only the first call for a wait counts.
	 * @param wait the handle from {@link #waitStarted}
	 * @param outcome how it ended
	 * @param failure the failure the caller got, if any
	 */
	default void waitEnded(Object wait, Outcome outcome, @Nullable Throwable failure) {
	}

	/** Why a method runs. */
	enum Trigger {

		/** The caller found no value and owns the load. */
		MISS,

		/** The owner of the load it waited for was interrupted (G11): this caller runs it. */
		TAKEOVER,

		/** The caller waited the wait timeout and runs the method for itself (G7). */
		TIMEOUT,

		/** A background reload of a stored entry. */
		REFRESH

	}

	/** How a wait ended. */
	enum Outcome {

		/** The load's value. */
		VALUE,

		/** The load's failure, shared (G3). */
		FAILURE,

		/** The wait timeout: the caller runs the method itself (G7). */
		TIMEOUT,

		/**
		 * The caller was interrupted (G6), or the load ended with its owner's interruption
		 * and the caller starts over (G11).
		 */
		INTERRUPTED,

		/** The caller cancelled its own future or subscription. */
		CANCELLED

	}

	/** What {@link #openScope(Object)} opened. */
	interface Scope {

		/** Nothing to close. */
		Scope NONE = () -> {
		};

		/** Close the scope, on the thread that opened it. */
		void close();

	}

}
