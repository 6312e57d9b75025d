package dev.cached.engine;

/**
 * Repeats a write to a cache (an invalidation or a put) when the caller's unit of work
 * ends, for example when its Spring transaction commits. The engine applies every write
 * at once and then hands it here; an implementation that sees no unit of work around the
 * caller does nothing.
 * <p>
 * This is how an invalidation made inside a transaction also removes what a concurrent
 * reader loaded from the old, still committed data between the write and the commit.
 * Implementations live outside the engine (the engine knows no transaction API).
 */
@FunctionalInterface
public interface WriteRepeater {

	/** Repeats nothing: every write takes effect once, at once. */
	WriteRepeater NONE = (onCommit, onRollback) -> {
	};

	/**
	 * Arrange for a write that has just been applied to be applied again when the
	 * caller's unit of work ends, if there is one.
	 * @param onCommit what to run when it ends successfully (the write again)
	 * @param onRollback what to run when it ends otherwise (for an invalidation, the
	 * invalidation again; for a put, the removal of the value put)
	 */
	void repeat(Runnable onCommit, Runnable onRollback);

}
