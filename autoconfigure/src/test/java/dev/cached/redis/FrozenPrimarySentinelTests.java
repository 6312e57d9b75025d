package dev.cached.redis;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.cached.redis.FailoverSentinelTests.Books;
import dev.cached.redis.FailoverSentinelTests.Caller;
import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.redis.FailoverSentinelTests.millis;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A primary that stops answering without closing its connections (frozen with
 * {@code SIGSTOP}, as a hung machine or a network cut would leave it) is replaced by the
 * sentinels, and the instances follow while it stays frozen: Lettuce alone would keep
 * the connections to it open and wait for it forever, so the tier drops the connection
 * and the subscription when Redis does not answer its probe during an outage, and makes
 * both again to the primary the sentinels name. No call fails, and an invalidation made
 * after the failover reaches the other instance. The instances are called once the
 * sentinels have replaced the frozen primary: a connection made again while they still
 * name it waits for it (Lettuce's handshake is not bounded there), which this test does
 * not cover. The time to recover is printed ({@code FrozenPrimarySentinelTests:} line).
 */
class FrozenPrimarySentinelTests {

	private static final int A = 0;

	private static final int B = 1;

	private static RedisSentinelSetup sentinel;

	private static Instances instances;

	@BeforeAll
	static void start() {
		sentinel = RedisSentinelSetup.start();
		instances = Instances.start(sentinel, FailoverSentinelTests.Application.class, 2,
				"--cached.caches.books.remote=true", "--cached.redis.timeout=250ms",
				"--cached.redis.retry-after=200ms");
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
	void theInstancesFollowTheFailoverWhileTheOldPrimaryStaysFrozen() {
		Books a = instances.bean(A, Books.class);
		Books b = instances.bean(B, Books.class);
		a.book("probe");
		RedisServer primary = sentinel.primary();
		RedisServer replica = sentinel.replicas().get(0);
		await().until(() -> replica.get(Instances.entry("books", "probe")) != null);
		long frozen = System.nanoTime();
		primary.pause();
		try {
			Duration failover = sentinel.awaitFailover(primary).plusNanos(System.nanoTime() - frozen);
			assertThat(sentinel.primary()).isSameAs(replica);
			long replaced = System.nanoTime();
			try (Caller callerA = new Caller(instances, A); Caller callerB = new Caller(instances, B)) {
				callerA.since = replaced;
				callerB.since = replaced;
				await().until(() -> callerA.recoveredAt.get() != 0 && callerB.recoveredAt.get() != 0);
				RedisTier tierA = instances.bean(A, RedisTier.class);
				RedisTier tierB = instances.bean(B, RedisTier.class);
				await().until(() -> tierA.isUp() && tierB.isUp() && tierA.status().get("subscribed").equals(true)
						&& tierB.status().get("subscribed").equals(true));
				List<?> subscribers = (List<?>) replica.command("PUBSUB", "NUMSUB", "cached:events");
				assertThat(subscribers.get(1)).as("instances listening on the new primary").isEqualTo(2L);

				// B reads A's value through the new primary, and A's invalidation reaches B
				await().untilAsserted(() -> {
					instances.cache(A, "books").invalidate("k");
					instances.awaitDelivered(A, "books");
					String value = a.book("k");
					instances.awaitDelivered(A, "books");
					assertThat(b.book("k")).as("B reads A's value through Redis").isEqualTo(value);
				});
				String value = b.book("k");
				instances.cache(A, "books").invalidate("k");
				await().until(() -> !instances.cache(B, "books").contains("k"));
				assertThat(b.book("k")).isNotEqualTo(value);
				System.out.println("FrozenPrimarySentinelTests: SIGSTOP of the primary: the sentinels named a new "
						+ "primary after " + failover.toMillis() + " ms; first value read from Redis after that, the "
						+ "old primary still frozen: instance A " + millis(callerA.recoveredAt.get() - replaced)
						+ " ms, instance B " + millis(callerB.recoveredAt.get() - replaced) + " ms; calls: "
						+ (callerA.calls.get() + callerB.calls.get()) + ", failed: "
						+ (callerA.failures.size() + callerB.failures.size()));
				assertThat(callerA.failures).as("failed calls on A").isEmpty();
				assertThat(callerB.failures).as("failed calls on B").isEmpty();
			}
		}
		finally {
			primary.resume();
		}
	}

}
