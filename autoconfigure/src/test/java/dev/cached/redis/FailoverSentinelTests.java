package dev.cached.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failover on Sentinel is a fault like any other: the primary is killed ({@code kill -9})
 * while two instances are called without pause, and an invalidation is made on one of them
 * right after the kill, before a replica is promoted. No call fails; each instance reads
 * Redis again and listens to the other again after the failover; the invalidation is not
 * lost: the other instance stops serving the invalidated value within
 * {@code cached.redis.max-staleness} of Redis answering again. The time to recover (from
 * the kill to each instance's first value read from Redis) is printed
 * ({@code FailoverSentinelTests:} line).
 */
class FailoverSentinelTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final Duration MAX_STALENESS = Duration.ofSeconds(5);

	private static RedisSentinelSetup sentinel;

	private static Instances instances;

	@BeforeAll
	static void start() {
		sentinel = RedisSentinelSetup.start();
		instances = Instances.start(sentinel, Application.class, 2, "--cached.caches.books.remote=true",
				"--cached.redis.timeout=250ms", "--cached.redis.retry-after=200ms",
				"--cached.redis.max-staleness=" + MAX_STALENESS.toMillis() + "ms");
	}

	@AfterAll
	static void stop() {
		try {
			if (instances != null) {
				instances.close();
			}
		}
		finally {
			if (sentinel != null) {
				sentinel.close();
			}
		}
	}

	@Test
	void killingThePrimaryFailsNoCallLosesNoInvalidationAndEveryInstanceRecovers() {
		Books a = instances.bean(A, Books.class);
		Books b = instances.bean(B, Books.class);
		String old = a.book("k");
		assertThat(b.book("k")).as("B reads A's value from Redis").isEqualTo(old);
		// what the probes read from Redis, on the replica too before the primary dies
		a.book("probe");
		RedisServer primary = sentinel.primary();
		RedisServer replica = sentinel.replicas().get(0);
		await().until(() -> replica.get(Instances.entry("books", "probe")) != null
				&& replica.get(Instances.entry("books", "k")) != null);

		try (Caller callerA = new Caller(instances, A); Caller callerB = new Caller(instances, B)) {
			await().until(() -> callerA.redisReads.get() > 3 && callerB.redisReads.get() > 3);
			long killed = System.nanoTime();
			callerA.since = killed;
			callerB.since = killed;
			primary.kill();
			// made while there is no primary: the tier keeps it and sends it once Redis answers
			instances.cache(A, "books").invalidate("k");
			Duration failover = sentinel.awaitFailover(primary).plusNanos(System.nanoTime() - killed);
			await().until(() -> callerA.recoveredAt.get() != 0 && callerB.recoveredAt.get() != 0);
			RedisTier tierB = instances.bean(B, RedisTier.class);
			RedisTier tierA = instances.bean(A, RedisTier.class);
			await().until(() -> tierA.isUp() && tierB.isUp());
			long answering = System.nanoTime();
			// B stops serving the invalidated value within max-staleness of Redis answering again
			await().atMost(MAX_STALENESS).until(() -> !old.equals(b.book("k")));
			long staleFor = System.nanoTime() - answering;
			await().until(() -> tierA.status().get("subscribed").equals(true)
					&& tierB.status().get("subscribed").equals(true));
			System.out.println("FailoverSentinelTests: kill -9 of the primary: a new primary after "
					+ failover.toMillis() + " ms; first value read from Redis after the kill: instance A "
					+ millis(callerA.recoveredAt.get() - killed) + " ms, instance B "
					+ millis(callerB.recoveredAt.get() - killed) + " ms; B served the value invalidated during the "
					+ "failover for " + millis(staleFor) + " ms after both tiers were up; calls during the failover: "
					+ (callerA.calls.get() + callerB.calls.get()) + ", failed: "
					+ (callerA.failures.size() + callerB.failures.size()));
			assertThat(callerA.failures).as("failed calls on A").isEmpty();
			assertThat(callerB.failures).as("failed calls on B").isEmpty();
			List<?> subscribers = (List<?>) sentinel.primary().command("PUBSUB", "NUMSUB", "cached:events");
			assertThat(subscribers.get(1)).as("instances listening on the new primary").isEqualTo(2L);
		}
		// and the tier works as before on the new primary: B loads, A reads B's value
		await().untilAsserted(() -> {
			instances.cache(A, "books").invalidate("after");
			instances.awaitDelivered(A, "books");
			String after = b.book("after");
			instances.awaitDelivered(B, "books");
			assertThat(a.book("after")).as("A reads B's value through Redis").isEqualTo(after);
		});
	}

	static long millis(long nanos) {
		return Duration.ofNanos(nanos).toMillis();
	}

	/**
	 * Calls {@code book("probe")} of {@link Books} on one instance without pause, each call missing locally
	 * so that it looks in Redis; records failed calls and when a call made after
	 * {@link #since} first read its value from Redis.
	 */
	static final class Caller implements AutoCloseable {

		final AtomicLong redisReads = new AtomicLong();

		final AtomicLong calls = new AtomicLong();

		final AtomicLong recoveredAt = new AtomicLong();

		final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

		volatile long since = Long.MAX_VALUE;

		private volatile boolean running = true;

		private final Thread thread;

		Caller(Instances instances, int instance) {
			Books books = instances.bean(instance, Books.class);
			CachedCache cache = instances.engine(instance, "books");
			this.thread = new Thread(() -> {
				while (this.running) {
					long started = System.nanoTime();
					long hitsBefore = cache.getRemoteStatistics().hits();
					cache.invalidateLocally("probe");
					try {
						books.book("probe");
					}
					catch (RuntimeException ex) {
						this.failures.add(ex.toString());
					}
					this.calls.incrementAndGet();
					if (cache.getRemoteStatistics().hits() > hitsBefore) {
						this.redisReads.incrementAndGet();
						if (started - this.since > 0) {
							// a call made after the fault: one in flight then may have been answered before it
							this.recoveredAt.compareAndSet(0, System.nanoTime());
						}
					}
					// a caller's pace, not a wait for anything
					LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
				}
			}, "sentinel-caller-" + instance);
			this.thread.setDaemon(true);
			this.thread.start();
		}

		@Override
		public void close() {
			this.running = false;
			try {
				this.thread.join(10_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Books books() {
			return new Books();
		}

	}

	/** A remote cache ({@code books}); every load, on any instance, makes a value of its own. */
	public static class Books {

		private static final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

		@Cached(name = "books")
		public String book(String id) {
			return id + "#" + loads.computeIfAbsent(id, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
