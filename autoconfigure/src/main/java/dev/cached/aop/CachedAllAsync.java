package dev.cached.aop;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import dev.cached.aop.CachedAllOperation.Request;
import dev.cached.async.AsyncResultAdapter;
import dev.cached.engine.AsyncBulkLoader;
import org.jspecify.annotations.Nullable;

/**
 * The asynchronous forms of {@code @CachedAll} ({@code CompletableFuture},
 * {@code CompletionStage} and {@code Mono} of a {@code Map} or a {@code List}, and a
 * Kotlin {@code suspend} function that returns one, which Spring's proxy calls as a
 * {@code Mono} of it, its {@code Continuation} kept in every clone of the call): the
 * adapter of the return type asks the cache through
 * {@link dev.cached.engine.CachedCache#getAllAsync}; the executions this caller runs call
 * the method through a clone of the call and subscribe to its result the adapter's way.
 * The caller's own future completes with its answer, or with the method's exception
 * itself.
 */
final class CachedAllAsync {

	private CachedAllAsync() {
	}

	static Object answer(CachedAllOperation operation, AsyncResultAdapter adapter, Request request) {
		return adapter.answerAll((subscribe) -> {
			CompletableFuture<Object> mine = new CompletableFuture<>();
			operation.getCache()
				.getAllAsync(request.keys, new Loader(operation, subscribe), request)
				.whenComplete((values, error) -> {
					if (error != null) {
						mine.completeExceptionally(error);
						return;
					}
					try {
						mine.complete(request.answer(values));
					}
					catch (Throwable ex) {
						mine.completeExceptionally(ex);
					}
				});
			return mine;
		});
	}

	/** The executions of one caller: the method, subscribed the adapter's way. */
	private record Loader(CachedAllOperation operation,
			Function<@Nullable Object, @Nullable CompletionStage<?>> subscribe) implements AsyncBulkLoader {

		@Override
		public @Nullable CompletionStage<? extends Map<Object, @Nullable Object>> loadAllAsync(Object context,
				List<Object> keys) throws Throwable {
			Request request = (Request) context;
			CompletionStage<?> stage = this.subscribe.apply(this.operation.proceed(request, keys));
			return (stage != null) ? stage.thenApply((answer) -> request.valuesByKey(answer, keys)) : null;
		}

		@Override
		public boolean isStorable(Object context, Object key, @Nullable Object value) {
			return this.operation.isStorable(context, key, value);
		}

	}

}
