package dev.cached.engine;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.CachedCaches;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.CachedDisabledAutoConfiguration;
import dev.cached.testing.Awaits;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link DefaultCachedCaches}, the {@link CachedCaches} API, through the
 * auto-configuration: the same keys as the annotation, reads that neither load nor count,
 * writes that follow G8.
 */
class DefaultCachedCachesTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedDisabledAutoConfiguration.class))
		.withBean(PriceService.class);

	@Test
	void keysFollowTheAnnotationsDefaultKey() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches caches = context.getBean(CachedCaches.class);
			prices.all();
			prices.one(7L);
			prices.two("EUR", 7L);
			prices.array(new int[] { 1, 2 });
			prices.nullable(null);
			assertThat(caches.getCache("PriceService.all").get(CachedCaches.key())).isEqualTo("all #1");
			assertThat(caches.getCache("PriceService.one").get(7L)).isEqualTo("one 7 #2");
			assertThat(caches.getCache("PriceService.one").get(CachedCaches.key(7L))).isEqualTo("one 7 #2");
			assertThat(caches.getCache("PriceService.two").get(CachedCaches.key("EUR", 7L))).isEqualTo("two EUR 7 #3");
			assertThat(caches.getCache("PriceService.array").get(new int[] { 1, 2 })).isEqualTo("array #4");
			assertThat(caches.getCache("PriceService.nullable").get(null)).isEqualTo("nullable null #5");
			caches.getCache("PriceService.two").invalidate(CachedCaches.key("EUR", 7L));
			assertThat(prices.two("EUR", 7L)).isEqualTo("two EUR 7 #6");
		});
	}

	@Test
	void getAndContainsNeitherLoadNorCount() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches.Cache cache = context.getBean(CachedCaches.class).getCache("PriceService.nullResult");
			assertThat(cache.get(1L)).isNull();
			assertThat(cache.contains(1L)).isFalse();
			assertThat(prices.nullResult(1L)).isNull();
			assertThat(cache.get(1L)).isNull();
			assertThat(cache.contains(1L)).as("a stored null result").isTrue();
			CachedCaches.Statistics statistics = cache.getStatistics();
			assertThat(statistics.hits()).isZero();
			assertThat(statistics.misses()).isEqualTo(1);
			assertThat(statistics.loadSuccesses()).isEqualTo(1);
			assertThat(statistics.size()).isEqualTo(1);
			assertThat(prices.loads()).isEqualTo(1);
		});
	}

	@Test
	void putIsServedToTheNextCallAndInvalidateAllEmptiesTheCache() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches.Cache cache = context.getBean(CachedCaches.class).getCache("PriceService.one");
			cache.put(1L, "put 1");
			cache.put(2L, "put 2");
			assertThat(prices.one(1L)).isEqualTo("put 1");
			assertThat(prices.loads()).isZero();
			assertThat(cache.getStatistics().puts()).isEqualTo(2);
			assertThat(cache.getStatistics().hits()).isEqualTo(1);
			cache.invalidateAll();
			assertThat(cache.contains(1L)).isFalse();
			assertThat(cache.contains(2L)).isFalse();
			assertThat(prices.one(1L)).isEqualTo("one 1 #1");
		});
	}

	@Test
	void invalidateWhileALoadRunsKeepsItsResultOutOfTheCache() throws Exception {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches.Cache cache = context.getBean(CachedCaches.class).getCache("PriceService.held");
			ExecutorService executor = Executors.newSingleThreadExecutor();
			try {
				Future<String> load = executor.submit(() -> prices.held(1L));
				Awaits.await().until(() -> cache.getStatistics().inFlight() == 1);
				cache.invalidate(1L);
				prices.release();
				assertThat(load.get(10, TimeUnit.SECONDS)).isEqualTo("held 1");
				assertThat(cache.contains(1L)).isFalse();
				assertThat(cache.getStatistics().inFlight()).isZero();
			}
			finally {
				prices.release();
				executor.shutdownNow();
			}
		});
	}

	@Test
	void putWhileALoadRunsWinsOverTheLoad() throws Exception {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches.Cache cache = context.getBean(CachedCaches.class).getCache("PriceService.held");
			ExecutorService executor = Executors.newSingleThreadExecutor();
			try {
				Future<String> load = executor.submit(() -> prices.held(1L));
				Awaits.await().until(() -> cache.getStatistics().inFlight() == 1);
				cache.put(1L, "put");
				prices.release();
				assertThat(load.get(10, TimeUnit.SECONDS)).isEqualTo("held 1");
				assertThat(cache.get(1L)).isEqualTo("put");
			}
			finally {
				prices.release();
				executor.shutdownNow();
			}
		});
	}

	@Test
	void unknownNameFailsNamingTheKnownCaches() {
		this.contextRunner.run((context) -> {
			CachedCaches caches = context.getBean(CachedCaches.class);
			assertThat(caches.findCache("PriceService.none")).isEmpty();
			assertThat(caches.findCache("PriceService.one")).isPresent();
			assertThatIllegalArgumentException().isThrownBy(() -> caches.getCache("PriceService.none"))
				.withMessage("No @Cached method uses a cache named 'PriceService.none'; known caches are "
						+ caches.getCacheNames());
			assertThat(caches.getCacheNames()).contains("PriceService.all", "PriceService.one", "PriceService.two")
				.isSorted();
		});
	}

	@Test
	void withCachingDisabledEveryCacheIsEmptyAndIgnoresWrites() {
		this.contextRunner.withPropertyValues("cached.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(CacheRegistry.class);
			CachedCaches caches = context.getBean(CachedCaches.class);
			CachedCaches.Cache cache = caches.getCache("PriceService.one");
			cache.put(1L, "put");
			cache.invalidate(1L);
			cache.invalidateAll();
			assertThat(cache.contains(1L)).isFalse();
			assertThat(cache.getStatistics()).isEqualTo(CachedCaches.Statistics.EMPTY);
			assertThat(caches.getCacheNames()).isEmpty();
		});
	}

	static class PriceService {

		private final AtomicInteger loads = new AtomicInteger();

		private final CountDownLatch release = new CountDownLatch(1);

		void release() {
			this.release.countDown();
		}

		int loads() {
			return this.loads.get();
		}

		@Cached
		public String all() {
			return "all #" + this.loads.incrementAndGet();
		}

		@Cached
		public String one(long id) {
			return "one " + id + " #" + this.loads.incrementAndGet();
		}

		@Cached
		public String two(String currency, long id) {
			return "two " + currency + " " + id + " #" + this.loads.incrementAndGet();
		}

		@Cached
		public String array(int[] values) {
			return "array #" + this.loads.incrementAndGet();
		}

		@Cached
		public String nullable(@Nullable String value) {
			return "nullable " + value + " #" + this.loads.incrementAndGet();
		}

		@Cached
		public @Nullable String nullResult(long id) {
			this.loads.incrementAndGet();
			return null;
		}

		@Cached
		public String held(long id) throws InterruptedException {
			this.release.await();
			return "held " + id;
		}

	}

}
