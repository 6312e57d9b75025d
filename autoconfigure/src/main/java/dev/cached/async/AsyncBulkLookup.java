package dev.cached.async;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * One bulk call ({@code @CachedAll}) whose method returns a future or a publisher of its
 * answer, as its {@link AsyncResultAdapter} sees it: the adapter decides how the method's
 * result is subscribed (for a {@code Mono}, with the subscriber's Reactor
 * {@code Context}) and turns the caller's own future of the answer into what the proxy
 * returns.
 */
@FunctionalInterface
public interface AsyncBulkLookup {

	/**
	 * Ask the cache for the call's elements.
	 * @param subscribe turns what the method returned into the stage of its answer
	 * (subscribing once to a lazy publisher), for the executions this caller runs
	 * @return this caller's own future of the answer (a {@code Map} or a {@code List}),
	 * completed with the method's exception itself on a failure
	 */
	CompletableFuture<Object> lookup(Function<@Nullable Object, @Nullable CompletionStage<?>> subscribe);

}
