package dev.cached.async;

import java.lang.reflect.Method;
import java.util.concurrent.CompletionStage;

import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;

import org.springframework.core.ResolvableType;

/**
 * Translates between one asynchronous return type and the engine: the method's result
 * becomes the stage of its eventual value, and a caller's own future of the value becomes
 * what the proxy returns.
 */
public interface AsyncResultAdapter {

	/**
	 * Return what the proxy returns for a call that goes through the cache.
	 * @param cache the cache
	 * @param key the key of the call
	 * @param method the method, started only if this caller runs it
	 * @param context the call (its method invocation)
	 * @return a value of the method's return type, this caller's own
	 */
	Object answer(CachedCache cache, Object key, AsyncMethod method, Object context);

	/**
	 * Return what the proxy returns for a bulk call ({@code @CachedAll}) that goes through
	 * the cache: the caller's own future of the answer, as this return type.
	 * @param lookup asks the cache, with how this adapter subscribes to the method's result
	 * @return a value of the method's return type, this caller's own
	 * @throws UnsupportedOperationException if this return type takes no bulk answer
	 */
	default Object answerAll(AsyncBulkLookup lookup) {
		throw new UnsupportedOperationException("No bulk answer for " + getClass().getSimpleName());
	}

	/**
	 * Turn the method's result into the stage of its eventual value, subscribing to it
	 * if it is a lazy publisher (once: this is the one subscription of the load), the plain
	 * way: what {@link AsyncMethod#loadAsync(Object)} does, for a caller that brings
	 * nothing an adapter must carry into the call.
	 * @param result what the method returned
	 * @return the stage, or {@code null} for a {@code null} value
	 */
	@Nullable CompletionStage<?> toStage(@Nullable Object result);

	/**
	 * Return the type of the values stored for a method with this return type: the
	 * future's or publisher's type argument ({@code Object} if unresolvable).
	 * @param method the method
	 * @return the type of its eventual value
	 */
	default Class<?> valueType(Method method) {
		return ResolvableType.forMethodReturnType(method).getGeneric(0).resolve(Object.class);
	}

	/**
	 * Whether the method's result is lazy ({@code Mono}, {@code Flux}): the method runs
	 * only when a caller subscribes, so a call may run it later, on another thread, or
	 * (subscribed again) more than once.
	 * @return whether the result is lazy
	 */
	default boolean isLazy() {
		return false;
	}

}
