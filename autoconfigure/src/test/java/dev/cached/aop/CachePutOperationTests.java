package dev.cached.aop;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.metrics.CachedMetricsAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.cached.testing.Awaits.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Behaviour of {@code @CachePut} ({@link CachePutOperation}) through real Spring AOP
 * proxies created by the auto-configuration.
 */
class CachePutOperationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedMetricsAutoConfiguration.class))
		.withBean(SimpleMeterRegistry.class)
		.withBean(PriceService.class);

	@Test
	void putRunsTheMethodEveryTimeAndStoresItsResultUnderTheKey() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.price("a")).isEqualTo("price of a #1");
			assertThat(prices.update("a", "10")).isEqualTo("10");
			assertThat(prices.update("a", "12")).isEqualTo("12");
			assertThat(prices.updates()).isEqualTo(2);
			assertThat(prices.price("a")).isEqualTo("12");
			assertThat(prices.loads()).isEqualTo(1);
			CachedCache cache = cache(context);
			assertThat(cache.getStatistics().puts()).isEqualTo(3);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("cache.puts").tag("cache", "prices").functionCounter().count()).isEqualTo(3);
		});
	}

	@Test
	void putOfAKeyNobodyReadYetIsAHitForTheFirstReader() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			prices.update("b", "7");
			assertThat(prices.price("b")).isEqualTo("7");
			assertThat(prices.loads()).isZero();
			assertThat(cache(context).getStatistics().hits()).isEqualTo(1);
		});
	}

	@Test
	void keyAndConditionMayUseTheResult() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.rename("c")).isEqualTo("c");
			assertThat(prices.rename("")).isEmpty();
			assertThat(cache(context).peek("C")).isEqualTo("c");
			assertThat(cache(context).estimatedSize()).isOne();
			assertThat(prices.updates()).isEqualTo(2);
		});
	}

	@Test
	void unlessVetoLeavesTheCacheAsItIs() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.price("e")).isEqualTo("price of e #1");
			assertThat(prices.update("e", "secret")).isEqualTo("secret");
			assertThat(prices.price("e")).isEqualTo("price of e #1");
			assertThat(cache(context).getStatistics().puts()).isEqualTo(1);
		});
	}

	@Test
	void methodThatThrowsStoresNothing() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.price("f")).isEqualTo("price of f #1");
			assertThatIOException().isThrownBy(() -> prices.failingUpdate("f")).withMessage("write failed");
			assertThat(prices.price("f")).isEqualTo("price of f #1");
			assertThat(cache(context).getStatistics().puts()).isEqualTo(1);
		});
	}

	@Test
	void emptyOptionalRemovesTheEntryWhenNullValuesAreNotCached() {
		this.contextRunner.withPropertyValues("cached.defaults.cache-null-values=false").run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.discount("g")).contains("discount of g #1");
			assertThat(prices.removeDiscount("g")).isEmpty();
			assertThat(context.getBean(CacheRegistry.class).getCache("discounts").peek("g")).isNull();
			assertThat(prices.discount("g")).contains("discount of g #2");
		});
	}

	@Test
	void putCombinedWithInvalidateStoresAndInvalidates() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.count()).isEqualTo(1);
			assertThat(prices.add("h", "3")).isEqualTo("3");
			assertThat(prices.price("h")).isEqualTo("3");
			assertThat(prices.count()).isEqualTo(2);
		});
	}

	/**
	 * A {@code @CachePut} that runs while a {@code @Cached} load of the same key is held
	 * on a latch: the load answers its caller, the put's value stays in the cache.
	 */
	@Test
	void putWhileALoadOfTheKeyRunsWinsOverThatLoad() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			prices.holdNextLoad();
			ExecutorService executor = Executors.newSingleThreadExecutor();
			try {
				Future<String> reader = executor.submit(() -> prices.price("i"));
				assertThat(prices.loadStarted().await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
				assertThat(prices.update("i", "new")).isEqualTo("new");
				prices.releaseLoad();
				assertThat(reader.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("price of i #1");
				assertThat(prices.price("i")).isEqualTo("new");
				assertThat(prices.loads()).isEqualTo(1);
			}
			finally {
				prices.releaseLoad();
				executor.shutdownNow();
			}
		});
	}

	private static CachedCache cache(AssertableApplicationContext context) {
		return context.getBean(CacheRegistry.class).getCache("prices");
	}

	static class PriceService {

		private final AtomicInteger loads = new AtomicInteger();

		private final AtomicInteger updates = new AtomicInteger();

		private final AtomicInteger counts = new AtomicInteger();

		private final AtomicInteger discounts = new AtomicInteger();

		private final CountDownLatch loadStarted = new CountDownLatch(1);

		private final CountDownLatch releaseLoad = new CountDownLatch(1);

		private volatile boolean holdNextLoad;

		void holdNextLoad() {
			this.holdNextLoad = true;
		}

		// accessors, not fields: the test talks to the proxy, whose own fields are unused

		int loads() {
			return this.loads.get();
		}

		int updates() {
			return this.updates.get();
		}

		CountDownLatch loadStarted() {
			return this.loadStarted;
		}

		void releaseLoad() {
			this.releaseLoad.countDown();
		}

		@Cached(name = "prices")
		public String price(String id) throws InterruptedException {
			int load = this.loads.incrementAndGet();
			if (this.holdNextLoad) {
				this.holdNextLoad = false;
				this.loadStarted.countDown();
				if (!this.releaseLoad.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
					throw new IllegalStateException("never released");
				}
			}
			return "price of " + id + " #" + load;
		}

		@CachePut(name = "prices", key = "#id", unless = "#result == 'secret'")
		public String update(String id, String price) {
			this.updates.incrementAndGet();
			return price;
		}

		@CachePut(name = "prices", key = "#result.toUpperCase()", condition = "!#result.isEmpty()")
		public String rename(String to) {
			this.updates.incrementAndGet();
			return to;
		}

		@CachePut(name = "prices", key = "#id")
		public String failingUpdate(String id) throws IOException {
			throw new IOException("write failed");
		}

		@Cached(name = "discounts")
		public Optional<String> discount(String id) {
			return Optional.of("discount of " + id + " #" + this.discounts.incrementAndGet());
		}

		@CachePut(name = "discounts", key = "#id")
		public Optional<String> removeDiscount(String id) {
			return Optional.empty();
		}

		@Cached(name = "counts")
		public int count() {
			return this.counts.incrementAndGet();
		}

		@CachePut(name = "prices", key = "#id")
		@CacheInvalidate(name = "counts", allEntries = true)
		public @Nullable String add(String id, String price) {
			return price;
		}

	}

}
