package dev.cached.async.reactor;

import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.cached.async.AsyncMethod;
import dev.cached.async.AsyncResultAdapter;
import dev.cached.engine.AsyncLoader;
import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * The adapters for {@link Mono} and {@link Flux} results, the way Spring's
 * {@code CacheAspectSupport} caches them: a {@code Mono}'s value (an empty {@code Mono} is
 * a {@code null} value) and a {@code Flux}'s collected list, replayed as a new
 * {@code Flux} to every subscriber.
 * <p>
 * All are lazy: the proxy returns a publisher that does nothing until it is subscribed;
 * each subscription then asks the cache, and only a subscription that runs the method (the
 * owner of the load, or a joined one whose wait timed out or that took a load over) calls
 * it and subscribes once to what it returns, with the Reactor {@code Context} of that
 * subscription: a {@code contextWrite} upstream of the caller (a {@code WebFilter}'s, the
 * security context, a trace) is what the method sees. A joined subscriber gets the
 * outcome of that load whatever its own {@code Context}. A subscriber that cancels
 * cancels its own future only, never the load.
 */
public final class ReactorAdapters {

	private ReactorAdapters() {
	}

	/**
	 * Return the adapter for {@code Mono} results.
	 * @return the adapter
	 */
	public static AsyncResultAdapter mono() {
		return MonoAdapter.INSTANCE;
	}

	/**
	 * Return the adapter for {@code Flux} results.
	 * @return the adapter
	 */
	public static AsyncResultAdapter flux() {
		return FluxAdapter.INSTANCE;
	}

	/**
	 * A {@code Mono} of this subscriber's own future of the value from the cache, loaded
	 * with this subscriber's {@code Context} if it runs the method.
	 */
	static Mono<Object> fromCache(CachedCache cache, Object key, AsyncMethod method, Object context,
			ReactorAdapter adapter) {
		return Mono.deferContextual((view) -> {
			AsyncLoader loader = view.isEmpty() ? method : new SubscribedLoader(method, adapter, view);
			return own(cache.getAsync(key, loader, context));
		});
	}

	/** The subscriber's own {@code Mono} of its own future: cancelling it leaves the future alone. */
	private static Mono<Object> own(CompletableFuture<@Nullable Object> future) {
		if (future.isDone() && !future.isCompletedExceptionally()) {
			// a hit: no need to go through the future's callbacks
			return Mono.justOrEmpty(future.getNow(null));
		}
		return Mono.fromFuture(future, true);
	}

	/**
	 * An adapter of a Reactor result: how its publisher is subscribed, once per load.
	 */
	abstract static class ReactorAdapter implements AsyncResultAdapter {

		/**
		 * Return the {@code Mono} of the eventual value of what the method returned.
		 * @param result the method's publisher
		 * @return its value ({@code Mono}), or its collected list ({@code Flux})
		 */
		abstract Mono<?> value(Publisher<?> result);

		@Override
		public @Nullable CompletionStage<?> toStage(@Nullable Object result) {
			return (result != null) ? value((Publisher<?>) result).toFuture() : null;
		}

		@Override
		public boolean isLazy() {
			return true;
		}

	}

	private static final class MonoAdapter extends ReactorAdapter {

		static final MonoAdapter INSTANCE = new MonoAdapter();

		@Override
		public Object answer(CachedCache cache, Object key, AsyncMethod method, Object context) {
			return fromCache(cache, key, method, context, this);
		}

		@Override
		Mono<?> value(Publisher<?> result) {
			return Mono.from(result);
		}

	}

	private static final class FluxAdapter extends ReactorAdapter {

		static final FluxAdapter INSTANCE = new FluxAdapter();

		@Override
		public Object answer(CachedCache cache, Object key, AsyncMethod method, Object context) {
			return fromCache(cache, key, method, context, this).flatMapIterable((list) -> (List<?>) list);
		}

		@Override
		Mono<?> value(Publisher<?> result) {
			return Flux.from(result).collectList();
		}

		@Override
		public Class<?> valueType(Method method) {
			return List.class;
		}

	}

	/**
	 * The loader of one subscription that brings a {@code Context}: it calls the method
	 * and subscribes to its result with that {@code Context}. Everything else is the
	 * method's.
	 */
	private static class SubscribedLoader implements AsyncLoader {

		final AsyncMethod method;

		final ReactorAdapter adapter;

		final ContextView view;

		SubscribedLoader(AsyncMethod method, ReactorAdapter adapter, ContextView view) {
			this.method = method;
			this.adapter = adapter;
			this.view = view;
		}

		@Override
		public @Nullable CompletionStage<?> loadAsync(Object context) throws Throwable {
			Object result = this.method.call(context);
			return (result != null) ? subscribe((Publisher<?>) result) : null;
		}

		CompletableFuture<?> subscribe(Publisher<?> result) {
			Mono<?> value = this.adapter.value(result);
			return (this.view.isEmpty() ? value : value.contextWrite(this.view)).toFuture();
		}

		@Override
		public Object refreshContext(Object context) {
			return this.method.refreshContext(context);
		}

		@Override
		public boolean isStorable(Object context, @Nullable Object result) {
			return this.method.isStorable(context, result);
		}

	}

}
