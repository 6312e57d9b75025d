package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link RedisConnection#callAsync}, the command path that never blocks its
 * caller, on a real {@code redis-server} that is frozen with {@code SIGSTOP}
 * ({@link RedisServer#pause()}): it then accepts connections and commands but answers
 * nothing, like a hung server. Lettuce's own timeout is far longer than the connection's,
 * so that only the connection's bounds the calls.
 */
class RedisConnectionTests {

	private static final Duration TIMEOUT = Duration.ofMillis(500);

	private static final Duration RETRY_AFTER = Duration.ofSeconds(3);

	private static final String TIMER_THREAD = "test-cached-redis-timeout";

	private final ExecutorService opener = Executors.newSingleThreadExecutor(daemon("test-cached-redis-connect"));

	private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon(TIMER_THREAD));

	/** How many times the connection cleared the local stores. */
	private final AtomicInteger clears = new AtomicInteger();

	private final CachedCache cache = new CachedCache("books", CacheSettings.resolve(CacheSpec.NONE, null,
			CacheSpec.NONE), Ticker.systemTicker(), Runnable::run);

	private RedisServer redis;

	private LettuceConnectionFactory factory;

	private RedisBreaker breaker;

	private RedisConnector connector;

	private RedisConnection connection;

	@BeforeEach
	void startRedis() {
		this.redis = RedisServer.start();
		this.factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration(this.redis.host(), this.redis.port()),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(30)).build());
		this.factory.afterPropertiesSet();
		this.factory.start();
		RedisTierSettings settings = new RedisTierSettings("cached:", TIMEOUT, Duration.ofSeconds(30), RETRY_AFTER,
				true);
		this.breaker = new RedisBreaker(settings, (since) -> this.clears.incrementAndGet() > 0);
		this.connector = new RedisConnector(this.factory, this.opener);
		this.connection = new RedisConnection(settings, this.connector, this.breaker, this.timer);
	}

	@AfterEach
	void stopRedis() {
		if (this.redis != null && this.redis.isRunning()) {
			// a paused server would hold the client's shutdown; SIGCONT does nothing to a running one
			this.redis.resume();
		}
		if (this.factory != null) {
			// before the server stops, so that the client does not try to reconnect
			this.factory.destroy();
		}
		if (this.redis != null) {
			this.redis.close();
		}
		this.opener.shutdownNow();
		this.timer.shutdownNow();
	}

	@Test
	void callAsyncAnswersWithTheReply() throws Exception {
		open();
		byte[] key = bytes("cached:{books}:\"a\"");
		assertThat(this.connection.callAsync(this.cache, "put", (c) -> c.set(key, bytes("1"))).get(5, TimeUnit.SECONDS))
			.isEqualTo("OK");
		assertThat(this.connection.callAsync(this.cache, "look up", (c) -> c.get(key)).get(5, TimeUnit.SECONDS))
			.isEqualTo(bytes("1"));
		assertThat(this.cache.getRemoteStatistics().errors()).isZero();
		assertThat(this.breaker.isUp()).isTrue();
	}

	@Test
	void callAsyncDoesNotBlockTheCallerWhenRedisIsFrozenAndFailsWithinTheTimeout() throws Exception {
		open();
		this.redis.pause();
		CountDownLatch timerHeld = holdTimer();
		long start = System.nanoTime();
		CompletableFuture<byte[]> reply = this.connection.callAsync(this.cache, "look up",
				(c) -> c.get(bytes("cached:{books}:\"a\"")));
		// the caller has its future back while Redis has not answered
		assertThat(reply).isNotDone();
		// waited on instead of the reply itself, whose waiters may run its dependents
		CompletableFuture<String> completedOn = reply.handle((value, ex) -> Thread.currentThread().getName());
		timerHeld.countDown();
		assertThat(completedOn.get(10, TimeUnit.SECONDS)).isEqualTo(TIMER_THREAD);
		// at the timeout, far from Lettuce's own (30s)
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(TIMEOUT)
			.isLessThan(Duration.ofSeconds(5));
		assertThat(failure(reply)).isSameAs(Unavailable.FAILED);
		// the fault is counted; one late answer is no outage
		assertThat(this.cache.getRemoteStatistics().errors()).isOne();
		assertThat(this.breaker.isUp()).isTrue();
		// the third in a row is
		for (int i = 0; i < RedisBreaker.OUTAGE_AFTER - 1; i++) {
			assertThat(failure(this.connection.callAsync(this.cache, "look up", (c) -> c.get(bytes("b")))))
				.isSameAs(Unavailable.FAILED);
		}
		assertThat(this.breaker.isUp()).isFalse();
		Map<String, Object> status = new LinkedHashMap<>();
		this.breaker.status(status);
		assertThat(status).containsEntry("status", "DOWN").containsEntry("error", "no answer within 500ms");
	}

	@Test
	void aLateAnswerBetweenAnswersIsNoOutage() throws Exception {
		open();
		for (int i = 0; i < RedisBreaker.OUTAGE_AFTER * 2; i++) {
			this.redis.pause();
			assertThatExceptionOfType(Unavailable.class)
				.isThrownBy(() -> this.connection.call(this.cache, "look up", (c) -> c.get(bytes("a"))))
				.isSameAs(Unavailable.FAILED);
			this.redis.resume();
			String pong = this.connection.call(this.cache, "ping", (c) -> c.ping());
			assertThat(pong).isEqualTo("PONG");
		}
		assertThat(this.cache.getRemoteStatistics().errors()).isEqualTo(RedisBreaker.OUTAGE_AFTER * 2);
		assertThat(this.breaker.isUp()).isTrue();
		assertThat(this.clears).hasValue(0);
	}

	@Test
	void duringAnOutageOnlyTheProberReachesRedisAndOnlyItsEndClearsTheLocalStoresOnce() throws Exception {
		open();
		this.redis.pause();
		for (int i = 0; i < RedisBreaker.OUTAGE_AFTER; i++) {
			CompletableFuture<String> late = this.connection.callAsync(this.cache, "ping", (c) -> c.ping());
			assertThat(failure(late)).isSameAs(Unavailable.FAILED);
		}
		assertThat(this.breaker.isUp()).isFalse();
		// during the outage: failed before the call returns, no new fault, and the blocking
		// path shares it
		CompletableFuture<String> quiet = this.connection.callAsync(this.cache, "ping", (c) -> c.ping());
		assertThat(quiet).isCompletedExceptionally();
		assertThat(failure(quiet)).isSameAs(Unavailable.QUIET);
		assertThatExceptionOfType(Unavailable.class)
			.isThrownBy(() -> this.connection.call(this.cache, "ping", (c) -> c.ping()))
			.isSameAs(Unavailable.QUIET);
		assertThat(this.cache.getRemoteStatistics().errors()).isEqualTo(RedisBreaker.OUTAGE_AFTER);
		this.redis.resume();
		// the prober's commands are admitted; an answer does not end the outage by itself
		CompletableFuture<Object> probed = new CompletableFuture<>();
		Thread prober = new Thread(() -> {
			try {
				probed.complete(this.connection.call(null, "ping", (c) -> c.ping()));
			}
			catch (Throwable ex) {
				probed.completeExceptionally(ex);
			}
		});
		this.breaker.prober(prober);
		prober.start();
		assertThat(probed.get(10, TimeUnit.SECONDS)).isEqualTo("PONG");
		assertThat(this.breaker.isUp()).isFalse();
		assertThat(this.clears).hasValue(0);
		this.breaker.end();
		this.breaker.end();
		assertThat(this.breaker.isUp()).isTrue();
		assertThat(this.clears).hasValue(1);
		assertThat(this.connection.callAsync(this.cache, "ping", (c) -> c.ping()).get(10, TimeUnit.SECONDS))
			.isEqualTo("PONG");
	}

	@Test
	void callAsyncDoesNotBlockTheCallerWhileTheConnectionIsOpened() throws Exception {
		// a frozen server accepts the connection but never answers its handshake
		this.redis.pause();
		this.connector.connect();
		CountDownLatch timerHeld = holdTimer();
		long start = System.nanoTime();
		CompletableFuture<String> pong = this.connection.callAsync(this.cache, "ping", (c) -> c.ping());
		assertThat(pong).isNotDone();
		timerHeld.countDown();
		// not open within the timeout while the tier starts up: the call goes local, no outage
		assertThat(failure(pong)).isSameAs(Unavailable.STARTING);
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(TIMEOUT)
			.isLessThan(Duration.ofSeconds(5));
		assertThat(this.cache.getRemoteStatistics().errors()).isZero();
		assertThat(this.breaker.isUp()).isTrue();
		this.redis.resume();
		open();
		assertThat(this.cache.getRemoteStatistics().errors()).isZero();
	}

	/**
	 * Keep the timer's only thread busy until the returned latch is counted down, so that
	 * no timeout ends a call before then: a call whose future is not done when it returns
	 * has then not waited for Redis, however slowly this test's thread runs.
	 */
	private CountDownLatch holdTimer() {
		CountDownLatch release = new CountDownLatch(1);
		this.timer.execute(() -> {
			try {
				release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		return release;
	}

	/** Open the connection, and wait until a command is answered. */
	private void open() {
		this.connector.connect();
		await().until(() -> "PONG".equals(this.connection.callAsync(null, "ping", (c) -> c.ping())
			.exceptionally((ex) -> null)
			.get(10, TimeUnit.SECONDS)));
	}

	/** Wait for a future that must fail, and return why. */
	private static Throwable failure(CompletableFuture<?> future) throws Exception {
		try {
			future.get(10, TimeUnit.SECONDS);
		}
		catch (ExecutionException ex) {
			return ex.getCause();
		}
		throw new AssertionError("Expected a failure, got a reply");
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static ThreadFactory daemon(String name) {
		return (runnable) -> {
			Thread thread = new Thread(runnable, name);
			thread.setDaemon(true);
			return thread;
		};
	}

}
