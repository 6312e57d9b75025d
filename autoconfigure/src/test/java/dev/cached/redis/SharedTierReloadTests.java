package dev.cached.redis;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.autoconfigure.refresh.CachedRefreshAutoConfiguration;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A background reload of a remote cache first looks in Redis, and takes a copy that
 * another instance wrote well after the local one instead of running the method. A put
 * ({@code @CachePut} or {@link dev.cached.CachedCaches.Cache#put}) that lands after the
 * reload read that copy, and before it stores it, wins: the reload must not replace the
 * value put with the copy it read.
 * <p>
 * The Redis copy is planted without any message to the instance, with a remaining ttl
 * above the cache's, so that it reads as the fresher copy however slow the machine. The
 * reload is held at the one point between its read and its store that a test can reach:
 * while the value it read is being made from JSON ({@link Quote}'s constructor waits
 * there once, when armed for the planted text).
 */
class SharedTierReloadTests {

	private static final Duration REFRESH_AFTER = Duration.ofMillis(200);

	private static RedisServer redis;

	private static Instances instances;

	@BeforeAll
	static void start() {
		redis = RedisServer.start();
		instances = Instances.start(redis, Application.class, 1, "--cached.caches.quotes.remote=true",
				"--cached.caches.quotes.ttl=10m",
				"--cached.caches.quotes.refresh-after=" + REFRESH_AFTER.toMillis() + "ms");
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

	@AfterEach
	void releaseHolds() {
		Hold hold = Quote.hold.getAndSet(null);
		if (hold != null) {
			hold.release();
		}
	}

	@Test
	void aCachePutThatLandsWhileABackgroundReloadTakesAFresherCopyFromRedisWins() throws Exception {
		putWhileAReloadTakesTheFresherCopy("annotated", (key, text) -> quotes().save(key, text));
	}

	@Test
	void aProgrammaticPutThatLandsWhileABackgroundReloadTakesAFresherCopyFromRedisWins() throws Exception {
		putWhileAReloadTakesTheFresherCopy("programmatic",
				(key, text) -> instances.cache(0, "quotes").put(key, new Quote(text)));
	}

	private void putWhileAReloadTakesTheFresherCopy(String key, BiConsumer<String, String> put) throws Exception {
		String entry = Instances.entry("quotes", key);
		Quote loaded = quotes().quote(key);
		long loadedAt = System.nanoTime();
		assertThat(redis.command("GET", entry)).as("the load's write").isNotNull();
		String fresher = "fresher of " + key;
		assertThat(redis.command("SET", entry, "{\"text\":\"" + fresher + "\"}", "PX", "3600000")).isEqualTo("OK");
		await().until(() -> System.nanoTime() - loadedAt > 2 * REFRESH_AFTER.toNanos());
		Hold hold = Quote.holdNext(fresher);
		int reloadsEnded = reloads().ended();

		assertThat(quotes().quote(key)).as("a stale read answers the stored value").isEqualTo(loaded);
		assertThat(hold.awaitEntered()).as("the reload read the fresher copy from Redis").isTrue();
		String text = "put on " + key;
		put.accept(key, text);
		hold.release();
		await().until(() -> reloads().ended() > reloadsEnded);

		assertThat(instances.cache(0, "quotes").get(key)).as("the local entry after the reload")
			.isEqualTo(new Quote(text));
		assertThat(quotes().quote(key)).isEqualTo(new Quote(text));
		assertThat(redis.command("GET", entry)).isEqualTo("{\"text\":\"" + text + "\"}");
		assertThat(quotes().executions(key)).as("the reload ran no method").isEqualTo(1);
	}

	private static Quotes quotes() {
		return instances.bean(0, Quotes.class);
	}

	private static CountingExecutor reloads() {
		return instances.context(0)
			.getBean(CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME, CountingExecutor.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Quotes quotes() {
			return new Quotes();
		}

		@Bean(name = CachedRefreshAutoConfiguration.REFRESH_EXECUTOR_BEAN_NAME, defaultCandidate = false)
		CountingExecutor cachedRefreshExecutor() {
			return new CountingExecutor();
		}

	}

	/**
	 * A quote; when {@link #holdNext armed}, the next one made for the armed text waits in
	 * its constructor until released.
	 *
	 * @param text the text
	 */
	public record Quote(String text) {

		static final AtomicReference<Hold> hold = new AtomicReference<>();

		public Quote {
			Hold armed = hold.get();
			if (armed != null && armed.text.equals(text) && hold.compareAndSet(armed, null)) {
				armed.enterAndWait();
			}
		}

		static Hold holdNext(String text) {
			Hold armed = new Hold(text);
			hold.set(armed);
			return armed;
		}

	}

	/** Where one construction of a {@link Quote} waits. */
	static final class Hold {

		private final String text;

		private final CountDownLatch entered = new CountDownLatch(1);

		private final CountDownLatch released = new CountDownLatch(1);

		Hold(String text) {
			this.text = text;
		}

		void enterAndWait() {
			this.entered.countDown();
			try {
				this.released.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		boolean awaitEntered() throws InterruptedException {
			return this.entered.await(Awaits.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}

		void release() {
			this.released.countDown();
		}

	}

	/** The refresh executor: runs each reload on a thread of its own and counts those that ended. */
	static final class CountingExecutor implements Executor, AutoCloseable {

		private final ExecutorService threads = Executors.newCachedThreadPool();

		private final AtomicInteger ended = new AtomicInteger();

		@Override
		public void execute(Runnable reload) {
			this.threads.execute(() -> {
				try {
					reload.run();
				}
				finally {
					this.ended.incrementAndGet();
				}
			});
		}

		int ended() {
			return this.ended.get();
		}

		@Override
		public void close() {
			this.threads.shutdownNow();
		}

	}

	/** A remote cache that refreshes ahead; executions counted per key. */
	public static class Quotes {

		private static final AtomicInteger versions = new AtomicInteger();

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		@Cached(name = "quotes")
		public Quote quote(String key) {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
			return new Quote(key + "#" + versions.incrementAndGet());
		}

		@CachePut(name = "quotes", key = "#key")
		public Quote save(String key, String text) {
			return new Quote(text);
		}

		public int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

	}

}
