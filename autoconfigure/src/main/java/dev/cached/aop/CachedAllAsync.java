package dev.cached.aop;

import dev.cached.async.AsyncResultAdapter;

/**
 * The asynchronous forms of {@code @CachedAll}.
 */
final class CachedAllAsync {

	private CachedAllAsync() {
	}

	static Object answer(CachedAllOperation operation, AsyncResultAdapter adapter, CachedAllOperation.Request request) {
		throw new UnsupportedOperationException("not yet");
	}

}
