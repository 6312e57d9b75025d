package dev.cached.engine;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.await;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start of a bulk owner's execution ({@link OwnedBatch#start}): the observer's handle
 * of the execution is kept on every owned key's {@link Load}, so that a caller that joins
 * one of those keys is observed waiting for that execution.
 */
class OwnedBatchTests {

	@Test
	void aCallerThatJoinsAKeyOfABulkExecutionWaitsForThatObservedExecution() throws Exception {
		CachedCache cache = new CachedCache("c", CacheSettings.resolve("c", CacheSpec.NONE, null, CacheSpec.NONE),
				Ticker.systemTicker(), Runnable::run);
		Object execution = new Object();
		List<@Nullable Object> waitedFor = new CopyOnWriteArrayList<>();
		cache.links.setLoadObserver(new LoadObserver() {

			@Override
			public @Nullable Object loadStarted(String cacheName, Trigger trigger, @Nullable Object caller) {
				return execution;
			}

			@Override
			public @Nullable Object waitStarted(String cacheName, Load running) {
				waitedFor.add(running.observation());
				return null;
			}

		});
		CountDownLatch started = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			Future<@Nullable Object[]> bulk = executor.submit(calling(() -> cache.getAll(List.of(1, 2),
					(context, keys) -> {
						started.countDown();
						release.await();
						return Map.of(1, "one", 2, "two");
					}, "bulk")));
			assertThat(started.await(10, SECONDS)).isTrue();
			Future<@Nullable Object> single = executor.submit(calling(() -> cache.get(2, (context) -> "alone", "one")));
			await().until(() -> waitedFor.size() == 1);
			release.countDown();
			assertThat(single.get(10, SECONDS)).isEqualTo("two");
			assertThat(bulk.get(10, SECONDS)).containsExactly("one", "two");
			assertThat(waitedFor).containsExactly(execution);
		}
		finally {
			release.countDown();
			executor.shutdownNow();
		}
	}

	private static <T> Callable<T> calling(Call<T> call) {
		return () -> {
			try {
				return call.call();
			}
			catch (Exception | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		};
	}

	@FunctionalInterface
	private interface Call<T> {

		T call() throws Throwable;

	}

}
