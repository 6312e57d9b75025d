package dev.cached.redis;

import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transaction-aware invalidation across instances: two instances on one Redis and one
 * database (H2 in memory, shared by name). A transaction on A updates a row and
 * invalidates its key; between the write and the commit, B misses and caches the old,
 * still committed row. The invalidation repeated at the commit must reach Redis and B as
 * the first one did, so that neither B nor Redis serves the old row afterwards: for a
 * remote cache (Redis holds what B loaded) and for a local one (only B's store does).
 */
class TransactionAwareInvalidationAcrossInstancesTests {

	private static final int A = 0;

	private static final int B = 1;

	private static RedisServer redis;

	private static Instances instances;

	private ExecutorService reader;

	@BeforeAll
	static void start() {
		redis = RedisServer.start();
		String database = "jdbc:h2:mem:prices-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
		// no connection pool on the test classpath: a plain DataSource, a connection per use
		instances = Instances.start(redis, Application.class, 2, "--spring.datasource.url=" + database,
				"--spring.datasource.type=org.springframework.jdbc.datasource.SimpleDriverDataSource",
				"--cached.caches.remotePrices.remote=true", "--cached.caches.remotePrices.ttl=10m");
		JdbcTemplate jdbc = instances.bean(A, JdbcTemplate.class);
		jdbc.execute("create table product (id bigint primary key, price int)");
		jdbc.update("insert into product (id, price) values (1, 10)");
		jdbc.update("insert into product (id, price) values (2, 10)");
	}

	@AfterAll
	static void stop() {
		if (instances != null) {
			instances.close();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@BeforeEach
	void startReader() {
		this.reader = Executors.newSingleThreadExecutor();
	}

	@AfterEach
	void stopReader() {
		this.reader.shutdownNow();
	}

	@Test
	void remoteValueCachedOnAnotherInstanceBetweenTheWriteAndTheCommitIsGoneEverywhereAfterTheCommit() {
		long id = 1;
		String entry = Instances.entry("remotePrices", id);
		assertThat(prices(A).remotePrice(id)).isEqualTo(10);
		int loadsOnB = prices(B).loads();
		assertThat(prices(B).remotePrice(id)).isEqualTo(10);
		assertThat(prices(B).loads()).as("B read A's value from Redis").isEqualTo(loadsOnB);

		transaction(A).executeWithoutResult((status) -> {
			prices(A).setRemotePrice(id, 20);
			assertThat(redis.command("GET", entry)).as("invalidated in Redis at once").isNull();
			await().until(() -> !instances.cache(B, "remotePrices").contains(id));
			// B misses, reads the committed row (the old price) and stores it in Redis and locally
			assertThat(readIn(() -> prices(B).remotePrice(id))).isEqualTo(10);
			assertThat(redis.command("GET", entry)).isEqualTo("10");
		});

		assertThat(redis.command("GET", entry)).as("invalidated in Redis again at the commit").isNull();
		// the invalidation repeated at the commit reaches B by message: B's copy goes (never,
		// when the commit's invalidation is applied locally only)
		await().until(() -> !instances.cache(B, "remotePrices").contains(id));
		assertThat(prices(B).remotePrice(id)).isEqualTo(20);
		assertThat(prices(A).remotePrice(id)).isEqualTo(20);
	}

	@Test
	void localValueCachedOnAnotherInstanceBetweenTheWriteAndTheCommitIsGoneThereAfterTheCommit() {
		long id = 2;
		assertThat(prices(A).localPrice(id)).isEqualTo(10);
		assertThat(prices(B).localPrice(id)).isEqualTo(10);

		transaction(A).executeWithoutResult((status) -> {
			prices(A).setLocalPrice(id, 30);
			await().until(() -> !instances.cache(B, "localPrices").contains(id));
			// B misses and caches the committed row: the old price
			assertThat(readIn(() -> prices(B).localPrice(id))).isEqualTo(10);
			assertThat(instances.cache(B, "localPrices").get(id)).isEqualTo(10);
		});

		// the invalidation repeated at the commit reaches B by message: B's copy goes (never,
		// when the commit's invalidation is applied locally only)
		await().until(() -> !instances.cache(B, "localPrices").contains(id));
		assertThat(prices(B).localPrice(id)).isEqualTo(30);
		assertThat(prices(A).localPrice(id)).isEqualTo(30);
	}

	/** Run a call on the reader thread, outside the test thread's transaction. */
	private Integer readIn(Callable<Integer> read) {
		try {
			return this.reader.submit(read).get(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static TransactionTemplate transaction(int instance) {
		return instances.bean(instance, TransactionTemplate.class);
	}

	private static PriceService prices(int instance) {
		return instances.bean(instance, PriceService.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		PriceService priceService(JdbcTemplate jdbc) {
			return new PriceService(jdbc);
		}

	}

	/** Prices read from the shared database, cached remotely and locally; loads counted. */
	public static class PriceService {

		private final JdbcTemplate jdbc;

		private final AtomicInteger loads = new AtomicInteger();

		PriceService(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@Cached(name = "remotePrices")
		public Integer remotePrice(long id) {
			return read(id);
		}

		@Cached(name = "localPrices")
		public Integer localPrice(long id) {
			return read(id);
		}

		@CacheInvalidate(name = "remotePrices", key = "#id")
		public void setRemotePrice(long id, int price) {
			write(id, price);
		}

		@CacheInvalidate(name = "localPrices", key = "#id")
		public void setLocalPrice(long id, int price) {
			write(id, price);
		}

		public int loads() {
			return this.loads.get();
		}

		private Integer read(long id) {
			this.loads.incrementAndGet();
			return this.jdbc.queryForObject("select price from product where id = ?", Integer.class, id);
		}

		private void write(long id, int price) {
			this.jdbc.update("update product set price = ? where id = ?", price, id);
		}

	}

}
