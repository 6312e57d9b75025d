package dev.cached.sample;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's control really has the bug it shows: two callers that both miss both load,
 * whatever the timing (the first load is held until the second caller has missed too).
 */
class NaiveCacheTests {

	@Test
	void callersThatMissWhileALoadRunsLoadToo() throws Exception {
		NaiveCache<String, String> cache = new NaiveCache<>();
		CountDownLatch bothLoading = new CountDownLatch(2);
		AtomicInteger loads = new AtomicInteger();
		Supplier<String> loader = () -> {
			loads.incrementAndGet();
			bothLoading.countDown();
			try {
				// held until the other caller is loading too: 5 s is a bound, not a pause
				return bothLoading.await(5, TimeUnit.SECONDS) ? "value" : "only one caller loaded";
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		};
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			Future<String> first = executor.submit(() -> cache.get("key", loader));
			Future<String> second = executor.submit(() -> cache.get("key", loader));

			assertThat(List.of(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS)))
				.containsExactly("value", "value");
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(loads).hasValue(2);
		assertThat(cache.misses()).isEqualTo(2);
		assertThat(cache.hits()).isZero();
		assertThat(cache.get("key", () -> "not loaded again")).isEqualTo("value");
		assertThat(cache.hits()).isEqualTo(1);
	}

}
