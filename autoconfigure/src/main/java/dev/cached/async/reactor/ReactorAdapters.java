package dev.cached.async.reactor;

import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.cached.async.AsyncResultAdapter;
import dev.cached.engine.CachedCache;
import dev.cached.engine.AsyncLoader;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The adapters for {@link Mono} and {@link Flux} results, the way Spring's
 * {@code CacheAspectSupport} caches them: a {@code Mono}'s value (an empty {@code Mono} is
 * a {@code null} value) and a {@code Flux}'s collected list, replayed as a new
 * {@code Flux} to every subscriber.
 * <p>
 * Both are lazy: the proxy returns a publisher that does nothing until it is subscribed;
 * each subscription then asks the cache, and only a subscription that owns the load calls
 * the method and subscribes once to what it returns. A subscriber that cancels cancels
 * its own future only, never the load.
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

	/** A {@code Mono} of this subscriber's own future of the value from the cache. */
	static Mono<Object> fromCache(CachedCache cache, Object key, AsyncLoader loader, Object context) {
		return Mono.defer(() -> {
			CompletableFuture<@Nullable Object> future = cache.getAsync(key, loader, context);
			if (future.isDone() && !future.isCompletedExceptionally()) {
				// a hit: no need to go through the future's callbacks
				return Mono.justOrEmpty(future.getNow(null));
			}
			return Mono.fromFuture(future, true);
		});
	}

	private static final class MonoAdapter implements AsyncResultAdapter {

		static final MonoAdapter INSTANCE = new MonoAdapter();

		@Override
		public Object answer(CachedCache cache, Object key, AsyncLoader loader, Object context) {
			return fromCache(cache, key, loader, context);
		}

		@Override
		public @Nullable CompletionStage<?> toStage(@Nullable Object result) {
			return (result != null) ? Mono.from((Publisher<?>) result).toFuture() : null;
		}

		@Override
		public boolean isLazy() {
			return true;
		}

	}

	private static final class FluxAdapter implements AsyncResultAdapter {

		static final FluxAdapter INSTANCE = new FluxAdapter();

		@Override
		public Object answer(CachedCache cache, Object key, AsyncLoader loader, Object context) {
			return fromCache(cache, key, loader, context).flatMapIterable((list) -> (List<?>) list);
		}

		@Override
		public @Nullable CompletionStage<?> toStage(@Nullable Object result) {
			return (result != null) ? Flux.from((Publisher<?>) result).collectList().toFuture() : null;
		}

		@Override
		public Class<?> valueType(Method method) {
			return List.class;
		}

		@Override
		public boolean isLazy() {
			return true;
		}

	}

}
