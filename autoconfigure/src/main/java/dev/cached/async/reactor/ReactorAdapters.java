package dev.cached.async.reactor;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;

import dev.cached.async.AsyncBulkLookup;
import dev.cached.async.AsyncMethod;
import dev.cached.async.AsyncResultAdapter;
import dev.cached.engine.AsyncLoader;
import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.util.context.ContextView;

import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;

/**
 * The adapters for {@link Mono} and {@link Flux} results, the way Spring's
 * {@code CacheAspectSupport} caches them: a {@code Mono}'s value (an empty {@code Mono} is
 * a {@code null} value) and a {@code Flux}'s collected list, replayed as a new
 * {@code Flux} to every subscriber; and the adapter of Kotlin {@code suspend} functions,
 * which Spring's proxies call as a {@code Mono} of their value.
 * <p>
 * All are lazy: the proxy returns a publisher that does nothing until it is subscribed;
 * each subscription then asks the cache, and only a subscription that runs the method (the
 * owner of the load, or a joined one whose wait timed out or that took a load over) calls
 * it and subscribes once to what it returns, with the Reactor {@code Context} of that
 * subscription: a {@code contextWrite} upstream of the caller (a {@code WebFilter}'s, the
 * security context, a trace) is what the method sees. A joined subscriber gets the
 * outcome of that load whatever its own {@code Context}. A subscriber that cancels
 * cancels its own future only, never the load; for a suspend function, a caller whose
 * coroutine is cancelled also cancels the call of the method it runs itself, if any (see
 * {@link #suspending()}).
 */
public final class ReactorAdapters {

	/**
	 * The key of the current Micrometer {@code Observation} in a Reactor {@code Context}
	 * ({@code ObservationThreadLocalAccessor.KEY}): the parent of the {@code cached.load}
	 * observation of a load that a subscription starts.
	 */
	static final String OBSERVATION_KEY = "micrometer.observation";

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
	 * Return the adapter for Kotlin {@code suspend} functions. Spring's proxy calls such a
	 * function as a {@code Mono} of its value (through kotlinx-coroutines-reactor, in the
	 * caller's coroutine context without its {@code Job}) and awaits the {@code Mono} that
	 * the advice returns, so a coroutine that waits for a load suspends and never blocks a
	 * thread. Cancelling a coroutine is cancelling its own call: a waiting caller stops
	 * waiting; a caller that runs the method (the owner of the load) cancels that run, and
	 * the load ends as the owner's interruption, which a joined caller takes over (G11).
	 * @return the adapter
	 */
	public static AsyncResultAdapter suspending() {
		return SuspendingAdapter.INSTANCE;
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

	/**
	 * The subscriber's own {@code Mono} of its own future: cancelling the subscription
	 * cancels that future (which ends this caller's wait, if it waits) and nothing else.
	 */
	private static Mono<Object> own(CompletableFuture<@Nullable Object> future) {
		if (future.isDone() && !future.isCompletedExceptionally()) {
			// a hit: no need to go through the future's callbacks
			return Mono.justOrEmpty(future.getNow(null));
		}
		// after the cancellation went upstream, so that the future's end is no dropped error
		return Mono.fromFuture(future, true).doFinally((signal) -> {
			if (signal == SignalType.CANCEL) {
				future.cancel(false);
			}
		});
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

		/**
		 * A bulk call: each subscription asks the cache; the executions it runs subscribe
		 * to the method's {@code Mono} with the subscription's {@code Context}.
		 */
		@Override
		public Object answerAll(AsyncBulkLookup lookup) {
			return Mono.deferContextual((view) -> own(lookup.lookup((result) -> {
				if (result == null) {
					return null;
				}
				Mono<?> value = value((Publisher<?>) result).contextCapture();
				return (view.isEmpty() ? value : value.contextWrite(view)).toFuture();
			})));
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
	 * Suspend functions: what the advice returns is the {@code Mono} that Spring's proxy
	 * awaits in the calling coroutine; what the method returns (through the rest of the
	 * advice chain) is the {@code Mono} of its value that Spring makes of the call.
	 */
	private static final class SuspendingAdapter extends ReactorAdapter {

		static final SuspendingAdapter INSTANCE = new SuspendingAdapter();

		@Override
		public Object answer(CachedCache cache, Object key, AsyncMethod method, Object context) {
			return Mono.deferContextual((view) -> {
				OwnCall call = new OwnCall(method, this, view);
				return own(cache.getAsync(key, call, context)).doOnCancel(call::cancel);
			});
		}

		/**
		 * A bulk call ({@code @CachedAll}): as {@link MonoAdapter#answerAll}, and
		 * cancelling the caller's coroutine also cancels the executions this caller runs
		 * (its own, a takeover, a run after a wait timeout), so that each ends as this
		 * caller's interruption, which a joined caller of each element takes over (G11).
		 */
		@Override
		public Object answerAll(AsyncBulkLookup lookup) {
			return Mono.deferContextual((view) -> {
				OwnRuns runs = new OwnRuns(view);
				return own(lookup.lookup(runs::subscribe)).doOnCancel(runs::cancel);
			});
		}

		@Override
		Mono<?> value(Publisher<?> result) {
			return Mono.from(result);
		}

		/** The function's Kotlin return type (Spring reads it with kotlin-reflect). */
		@Override
		public Class<?> valueType(Method method) {
			return ResolvableType.forMethodParameter(new MethodParameter(method, -1)).resolve(Object.class);
		}

	}

	/**
	 * The executions of one suspend bulk call: each subscribes once to the {@code Mono}
	 * Spring makes of the call, with the caller's {@code Context}, and all are cancelled
	 * with the call. Like {@link OwnCall}, {@link #subscribe} and {@link #cancel} each
	 * write their own field before they read the other's, so a run that races with the
	 * cancellation is cancelled by one of them; a run asked for after the cancellation does
	 * not start (the function's {@code Mono} is lazy: nothing ran yet).
	 */
	private static final class OwnRuns {

		private final ContextView view;

		private final Queue<CompletableFuture<?>> runs = new ConcurrentLinkedQueue<>();

		private volatile boolean cancelled;

		OwnRuns(ContextView view) {
			this.view = view;
		}

		@Nullable CompletionStage<?> subscribe(@Nullable Object result) {
			if (result == null) {
				return null;
			}
			if (this.cancelled) {
				return CompletableFuture.failedFuture(new CancellationException("The caller's coroutine was cancelled"));
			}
			Mono<?> value = Mono.from((Publisher<?>) result).contextCapture();
			CompletableFuture<?> run = (this.view.isEmpty() ? value : value.contextWrite(this.view)).toFuture();
			this.runs.add(run);
			if (this.cancelled) {
				run.cancel(false);
			}
			return run;
		}

		void cancel() {
			this.cancelled = true;
			for (CompletableFuture<?> run : this.runs) {
				run.cancel(false);
			}
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

		/**
		 * Subscribe once, with the subscription's {@code Context} and, over it, what the
		 * thread that runs the method holds at that moment (Reactor's
		 * {@code contextCapture()}, with the context-propagation library present): the
		 * current observation there is the load's.
		 */
		CompletableFuture<?> subscribe(Publisher<?> result) {
			Mono<?> value = this.adapter.value(result).contextCapture();
			return (this.view.isEmpty() ? value : value.contextWrite(this.view)).toFuture();
		}

		@Override
		public @Nullable Object caller() {
			return this.view.getOrDefault(OBSERVATION_KEY, null);
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

	/**
	 * The loader of one suspend call: as {@link SubscribedLoader}, and the call's own run
	 * of the method (if the caller runs it) can be cancelled with the call. Cancelling the
	 * future of {@code Mono.toFuture()} cancels its subscription, which cancels the
	 * coroutine that runs the function.
	 */
	private static final class OwnCall extends SubscribedLoader {

		/*
		 * cancel() and loadAsync() may race (a shared tier may start the call on another
		 * thread): each writes its own volatile field, then reads the other's, so at least
		 * one of them sees both and cancels the run.
		 */

		/** Written once, by the thread that starts this caller's run; read by cancel(). */
		private volatile @Nullable CompletableFuture<?> run;

		/** Written by cancel(), on the thread that cancels the caller's subscription. */
		private volatile boolean cancelled;

		OwnCall(AsyncMethod method, ReactorAdapter adapter, ContextView view) {
			super(method, adapter, view);
		}

		@Override
		public @Nullable CompletionStage<?> loadAsync(Object context) throws Throwable {
			if (this.cancelled) {
				// a caller that is gone does not start the method: the load ends as its interruption
				throw new CancellationException("The caller's coroutine was cancelled");
			}
			Object result = this.method.call(context);
			if (result == null) {
				return null;
			}
			CompletableFuture<?> run = subscribe((Publisher<?>) result);
			this.run = run;
			if (this.cancelled) {
				run.cancel(false);
			}
			return run;
		}

		void cancel() {
			this.cancelled = true;
			CompletableFuture<?> run = this.run;
			if (run != null) {
				run.cancel(false);
			}
		}

	}

}
