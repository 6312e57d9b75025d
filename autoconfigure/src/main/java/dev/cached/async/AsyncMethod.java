package dev.cached.async;

import dev.cached.engine.AsyncLoader;
import org.jspecify.annotations.Nullable;

/**
 * The method behind a cache whose method returns a future or a publisher, as its
 * {@link AsyncResultAdapter} sees it: the engine's {@link AsyncLoader} (which starts the
 * method and converts its result the plain way), and the call itself, for an adapter that
 * subscribes to the result its own way (with the subscriber's Reactor {@code Context}, or
 * so that a Kotlin caller can cancel its own call).
 */
public interface AsyncMethod extends AsyncLoader {

	/**
	 * Call the method, for a lazy result on a copy of the call (a {@code Mono} may be
	 * subscribed more than once), and return what it returned, unconverted. Like
	 * {@link #loadAsync(Object)}, only for a caller that runs the method.
	 * @param context the calling caller's context (its method invocation)
	 * @return the method's result: a future or a publisher, or {@code null}
	 * @throws Throwable whatever the method throws before it returns its result
	 */
	@Nullable Object call(Object context) throws Throwable;

}
