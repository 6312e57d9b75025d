package dev.cached.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.TIMEOUT;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedCache#put(Object, Object)}, the write behind {@code @CachePut}.
 */
class CachedCachePutTests {

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	@AfterEach
	void stopCallers() throws InterruptedException {
		// only does something after a failure: unblocks callers stuck in a wait or a latch
		for (Thread thread : this.threads) {
			thread.interrupt();
		}
		for (Thread thread : this.threads) {
			thread.join(TIMEOUT.toMillis());
		}
	}

	@Test
	void putReplacesTheEntryAndCountsAPut() throws Throwable {
		CachedCache cache = newCache(CacheSpec.NONE);
		Loader loader = (context) -> "loaded";
		assertThat(cache.get("key", loader, "first")).isEqualTo("loaded");
		cache.put("key", "put");
		assertThat(cache.get("key", loader, "second")).isEqualTo("put");
		assertThat(cache.getStatistics().puts()).isEqualTo(2);
		assertThat(cache.getStatistics().loadSuccesses()).isEqualTo(1);
	}

	@Test
	void putOfNullIsStoredWhenTheCacheStoresNullValues() throws Throwable {
		CachedCache cache = newCache(new CacheSpec(null, null, null, true));
		cache.put("key", "old");
		cache.put("key", null);
		assertThat(cache.peek("key")).isNotNull();
		assertThat(cache.get("key", (context) -> "loaded", "caller")).isNull();
		assertThat(cache.getStatistics().puts()).isEqualTo(2);
	}

	@Test
	void putOfNullRemovesTheEntryWhenTheCacheDoesNotStoreNullValues() {
		CachedCache cache = newCache(new CacheSpec(null, null, null, false));
		cache.put("key", "old");
		cache.put("key", null);
		assertThat(cache.peek("key")).isNull();
		assertThat(cache.getStatistics().puts()).isEqualTo(1);
	}

	/**
	 * A put while a load of the same key runs wins over that load: the load's result
	 * still answers its owner and its joined callers, but it is not stored over the put's
	 * value. The race: the owner publishes after the put wrote the entry, which would
	 * replace the newer value with the one the load read before the write.
	 */
	@Test
	void putWhileALoadOfTheKeyRunsWinsOverThatLoad() throws Throwable {
		CachedCache cache = newCache(CacheSpec.NONE);
		CountDownLatch loading = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		AtomicInteger executions = new AtomicInteger();
		Loader loader = (context) -> {
			executions.incrementAndGet();
			loading.countDown();
			awaitLatch(release);
			return "loaded before the put";
		};
		FutureTask<@Nullable Object> owner = call(() -> cache.get("key", loader, "owner"));
		awaitLatch(loading);
		FutureTask<@Nullable Object> joiner = call(() -> cache.get("key", loader, "joiner"));
		await().until(() -> cache.getStatistics().coalesced() == 1);
		cache.put("key", "put");
		assertThat(cache.get("key", loader, "after the put")).isEqualTo("put");
		release.countDown();
		assertThat(owner.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("loaded before the put");
		assertThat(joiner.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("loaded before the put");
		assertThat(cache.peek("key")).isEqualTo("put");
		assertThat(cache.get("key", loader, "next")).isEqualTo("put");
		assertThat(executions).hasValue(1);
		assertThat(cache.getStatistics().puts()).isEqualTo(1);
		assertThat(cache.inFlightKeys()).isZero();
	}

	private static CachedCache newCache(CacheSpec spec) {
		return new CachedCache("put", CacheSettings.resolve(spec, null, CacheSpec.NONE), Ticker.systemTicker(),
				Runnable::run);
	}

	private FutureTask<@Nullable Object> call(Body body) {
		FutureTask<@Nullable Object> task = new FutureTask<>(() -> {
			try {
				return body.run();
			}
			catch (Exception | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		});
		Thread thread = new Thread(task, "caller-" + this.threads.size());
		thread.setDaemon(true);
		this.threads.add(thread);
		thread.start();
		return task;
	}

	private static void awaitLatch(CountDownLatch latch) throws InterruptedException {
		if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
			throw new AssertionError("Latch not released within " + TIMEOUT);
		}
	}

	/**
	 * What a caller does.
	 */
	@FunctionalInterface
	interface Body {

		@Nullable Object run() throws Throwable;

	}

}
