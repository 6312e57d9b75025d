package dev.cached.transaction;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transaction-aware invalidation (and {@code @CachePut}) on a real JDBC transaction (H2 in memory, Boot's
 * {@code DataSourceTransactionManager}): a reader that misses between the write and the
 * commit loads the old committed row and caches it; the commit must remove it.
 */
class TransactionAwareWriteRepeaterTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				DataSourceAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class))
		.withPropertyValues("spring.datasource.generate-unique-name=true")
		.withUserConfiguration(PriceConfiguration.class);

	private final ExecutorService reader = Executors.newSingleThreadExecutor();

	@AfterEach
	void shutdown() {
		this.reader.shutdownNow();
	}

	@Test
	void valueCachedBetweenTheWriteAndTheCommitIsGoneAfterTheCommit() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCache cache = cache(context);
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				prices.setPrice(1, 20);
				assertThat(cache.peek(1L)).as("invalidated at once").isNull();
				// another thread misses and reads the committed row: the old price
				assertThat(readInAnotherThread(() -> prices.price(1))).isEqualTo(10);
				assertThat(cache.peek(1L)).isEqualTo(10);
				// so the transaction's own read after its invalidation is a hit on it
				assertThat(prices.price(1)).as("read inside the transaction").isEqualTo(10);
			});
			assertThat(cache.peek(1L)).as("invalidated again after the commit").isNull();
			assertThat(prices.price(1)).isEqualTo(20);
			assertThat(prices.loads()).isEqualTo(3);
		});
	}

	@Test
	void loadInFlightAtTheCommitAnswersItsCallerButIsNotStored() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCache cache = cache(context);
			CountDownLatch release = new CountDownLatch(1);
			Future<Integer> inFlight = transaction(context).execute((status) -> {
				prices.setPrice(1, 20);
				Future<Integer> read = this.reader.submit(() -> prices.priceHeldUntil(1, release));
				try {
					prices.awaitRead();
				}
				catch (InterruptedException ex) {
					throw new IllegalStateException(ex);
				}
				assertThat(cache.inFlightKeys()).isEqualTo(1);
				return read;
			});
			// committed while the reader still holds the old row
			release.countDown();
			assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo(10);
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.peek(1L)).as("G8 at the commit: the load's result is not stored").isNull();
			assertThat(prices.price(1)).isEqualTo(20);
		});
	}

	@Test
	void valueLoadedFromUncommittedDataIsGoneAfterARollback() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCache cache = cache(context);
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				prices.setPrice(1, 20);
				// the transaction's own thread sees its uncommitted row
				assertThat(prices.price(1)).isEqualTo(20);
				status.setRollbackOnly();
			});
			assertThat(cache.peek(1L)).isNull();
			assertThat(prices.price(1)).isEqualTo(10);
		});
	}

	@Test
	void programmaticInvalidationIsRepeatedAfterTheCommit() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches.Cache api = context.getBean(CachedCaches.class).getCache("prices");
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				context.getBean(JdbcTemplate.class).update("update product set price = 30 where id = 1");
				api.invalidate(1L);
				assertThat(readInAnotherThread(() -> prices.price(1))).isEqualTo(10);
				assertThat(api.get(1L)).isEqualTo(10);
			});
			assertThat(api.contains(1L)).isFalse();
			assertThat(prices.price(1)).isEqualTo(30);
		});
	}

	@Test
	void invalidationOfAllEntriesIsRepeatedAfterTheCommit() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCache cache = cache(context);
			assertThat(prices.price(1)).isEqualTo(10);
			assertThat(prices.price(2)).isEqualTo(15);
			transaction(context).executeWithoutResult((status) -> {
				prices.raiseAllPrices(100);
				assertThat(cache.estimatedSize()).as("cleared at once").isZero();
				// another thread misses and reads the committed rows: the old prices
				assertThat(readInAnotherThread(() -> prices.price(1))).isEqualTo(10);
				assertThat(readInAnotherThread(() -> prices.price(2))).isEqualTo(15);
				assertThat(cache.peek(1L)).isEqualTo(10);
				assertThat(cache.peek(2L)).isEqualTo(15);
			});
			assertThat(cache.peek(1L)).as("cleared again after the commit").isNull();
			assertThat(cache.peek(2L)).as("cleared again after the commit").isNull();
			assertThat(prices.price(1)).isEqualTo(110);
			assertThat(prices.price(2)).isEqualTo(115);
			assertThat(prices.loads()).isEqualTo(6);
		});
	}

	@Test
	void programmaticInvalidationOfAllEntriesIsRepeatedAfterTheCommit() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCaches.Cache api = context.getBean(CachedCaches.class).getCache("prices");
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				context.getBean(JdbcTemplate.class).update("update product set price = 30 where id = 1");
				api.invalidateAll();
				assertThat(readInAnotherThread(() -> prices.price(1))).isEqualTo(10);
				assertThat(api.get(1L)).isEqualTo(10);
			});
			assertThat(api.contains(1L)).as("cleared again after the commit").isFalse();
			assertThat(prices.price(1)).isEqualTo(30);
		});
	}

	@Test
	void cachePutInsideATransactionIsStoredAtOnceAndKeptAfterTheCommit() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCache cache = cache(context);
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				assertThat(prices.savePrice(1, 20)).isEqualTo(20);
				assertThat(cache.peek(1L)).as("stored at once").isEqualTo(20);
			});
			assertThat(cache.peek(1L)).as("stored again after the commit").isEqualTo(20);
			assertThat(prices.price(1)).isEqualTo(20);
			assertThat(prices.loads()).isEqualTo(1);
		});
	}

	@Test
	void programmaticPutIsRepeatedAfterTheCommitAndRemovedAfterARollback() {
		this.contextRunner.run((context) -> {
			CachedCache cache = cache(context);
			CachedCaches.Cache api = context.getBean(CachedCaches.class).getCache("prices");
			transaction(context).executeWithoutResult((status) -> {
				api.put(1L, 40);
				// something removes it before the commit, e.g. an eviction
				cache.getNativeCache().invalidate(1L);
			});
			assertThat(api.get(1L)).as("put again after the commit").isEqualTo(40);
			transaction(context).executeWithoutResult((status) -> {
				api.put(1L, 50);
				assertThat(api.get(1L)).isEqualTo(50);
				status.setRollbackOnly();
			});
			assertThat(api.contains(1L)).as("a put rolled back is removed").isFalse();
		});
	}

	@Test
	void cachePutInsideATransactionThatRollsBackIsRemoved() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			CachedCache cache = cache(context);
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				assertThat(prices.savePrice(1, 20)).isEqualTo(20);
				status.setRollbackOnly();
			});
			assertThat(cache.peek(1L)).as("the rolled-back value is not served").isNull();
			assertThat(prices.price(1)).isEqualTo(10);
		});
	}

	@Test
	void invalidationOutsideATransactionTakesEffectOnce() {
		this.contextRunner.run((context) -> {
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.price(1)).isEqualTo(10);
			prices.setPrice(1, 20);
			assertThat(prices.price(1)).isEqualTo(20);
			assertThat(prices.price(1)).isEqualTo(20);
			assertThat(prices.loads()).isEqualTo(2);
		});
	}

	@Test
	void transactionAwareFalseInvalidatesOnlyAtOnce() {
		this.contextRunner.withPropertyValues("cached.transaction-aware=false").run((context) -> {
			assertThat(context).doesNotHaveBean(TransactionAwareWriteRepeater.class);
			PriceService prices = context.getBean(PriceService.class);
			assertThat(prices.price(1)).isEqualTo(10);
			transaction(context).executeWithoutResult((status) -> {
				prices.setPrice(1, 20);
				assertThat(readInAnotherThread(() -> prices.price(1))).isEqualTo(10);
			});
			// what the reader cached between the write and the commit stays
			assertThat(prices.price(1)).isEqualTo(10);
		});
	}

	private Integer readInAnotherThread(Callable<Integer> read) {
		try {
			return this.reader.submit(read).get(10, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static TransactionTemplate transaction(AssertableApplicationContext context) {
		return context.getBean(TransactionTemplate.class);
	}

	private static CachedCache cache(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed();
		CachedCache cache = context.getBean(CacheRegistry.class).getCache("prices");
		assertThat(cache).isNotNull();
		return cache;
	}

	@Configuration(proxyBeanMethods = false)
	static class PriceConfiguration {

		@Bean
		PriceService priceService(JdbcTemplate jdbc) {
			jdbc.execute("create table product (id bigint primary key, price int)");
			jdbc.update("insert into product (id, price) values (1, 10)");
			jdbc.update("insert into product (id, price) values (2, 15)");
			return new PriceService(jdbc);
		}

	}

	static class PriceService {

		private final JdbcTemplate jdbc;

		private final AtomicInteger loads = new AtomicInteger();

		private final CountDownLatch read = new CountDownLatch(1);

		PriceService(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@Cached(name = "prices")
		public Integer price(long id) {
			this.loads.incrementAndGet();
			return this.jdbc.queryForObject("select price from product where id = ?", Integer.class, id);
		}

		@Cached(name = "prices", key = "#id")
		public Integer priceHeldUntil(long id, CountDownLatch release) throws InterruptedException {
			Integer price = this.jdbc.queryForObject("select price from product where id = ?", Integer.class, id);
			this.read.countDown();
			release.await();
			return price;
		}

		@CachePut(name = "prices", key = "#id")
		public Integer savePrice(long id, int price) {
			this.jdbc.update("update product set price = ? where id = ?", price, id);
			return price;
		}

		@CacheInvalidate(name = "prices", key = "#id")
		public void setPrice(long id, int price) {
			this.jdbc.update("update product set price = ? where id = ?", price, id);
		}

		@CacheInvalidate(name = "prices", allEntries = true)
		public void raiseAllPrices(int by) {
			this.jdbc.update("update product set price = price + ?", by);
		}

		void awaitRead() throws InterruptedException {
			this.read.await(10, TimeUnit.SECONDS);
		}

		int loads() {
			return this.loads.get();
		}

	}

}
