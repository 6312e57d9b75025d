package dev.cached.async;

import java.util.concurrent.CompletionStage;

import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;

/**
 * {@link java.util.concurrent.CompletableFuture} and {@link CompletionStage} results: every
 * caller gets a {@code CompletableFuture} of its own, completed from the store or the
 * shared load; the method's own future is never handed to another caller.
 */
final class CompletionStageAdapter implements AsyncResultAdapter {

	static final CompletionStageAdapter INSTANCE = new CompletionStageAdapter();

	private CompletionStageAdapter() {
	}

	@Override
	public Object answer(CachedCache cache, Object key, AsyncMethod method, Object context) {
		return cache.getAsync(key, method, context);
	}

	@Override
	public Object answerAll(AsyncBulkLookup lookup) {
		return lookup.lookup(this::toStage);
	}

	@Override
	public @Nullable CompletionStage<?> toStage(@Nullable Object result) {
		return (CompletionStage<?>) result;
	}

}
