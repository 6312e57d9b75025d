package dev.cached.redis;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.cached.redis.ClusterFaults.Caller;
import dev.cached.redis.FailoverSentinelTests.Books;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.redis.ClusterFaults.millis;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failover of a Redis Cluster is a fault like any other, with three instances called
 * without pause throughout and an invalidation made on one of them right after the fault:
 * a replica promoted by hand ({@code CLUSTER FAILOVER}), a primary frozen
 * ({@code SIGSTOP}) until its replica has taken over (the primary of the callers' key,
 * then one holding subscriptions, which the instances must leave for a live node on their
 * own: see {@link RedisHeartbeat}), and a primary killed ({@code kill -9}) that holds
 * subscriptions (Lettuce moves them). No call fails; each instance
 * reads Redis again and listens on a node that answers; the invalidation is not lost: no
 * instance serves the invalidated value longer than {@code cached.redis.max-staleness}
 * after Redis answers again. The time to recover (from the fault to each instance's first
 * value read from Redis) is printed ({@code FailoverClusterTests:} lines). An instance's
 * outage ends only once every shard answers: one outage per instance at most, however
 * long the failover takes. The cluster's node timeout is 1 s (Redis' default is 15 s).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OutputCaptureExtension.class)
class FailoverClusterTests {

	private static final int A = 0;

	private static final Duration MAX_STALENESS = Duration.ofSeconds(5);

	private static RedisCluster cluster;

	private static Instances instances;

	@BeforeAll
	static void start() {
		cluster = RedisCluster.start();
		instances = Instances.start(cluster, FailoverSentinelTests.Application.class, 3,
				"--cached.caches.books.remote=true", "--cached.redis.timeout=250ms",
				"--cached.redis.retry-after=200ms", "--cached.redis.max-staleness=" + MAX_STALENESS.toMillis() + "ms");
	}

	@AfterAll
	static void stop() {
		try {
			if (instances != null) {
				instances.close();
			}
		}
		finally {
			if (cluster != null) {
				cluster.close();
			}
		}
	}

	@Test
	@Order(1)
	void aReplicaPromotedByHandFailsNoCallAndLosesNoInvalidation(CapturedOutput output) {
		RedisServer primary = ClusterFaults.shardOf(cluster, "books", "probe");
		RedisServer replica = cluster.replicaOf(primary);
		survives(output, "CLUSTER FAILOVER", primary, replica,
				() -> assertThat(replica.command("CLUSTER", "FAILOVER")).hasToString("OK"));
	}

	@Test
	@Order(2)
	void aFrozenPrimaryIsReplacedWhileTheInstancesAnswerLocally(CapturedOutput output) {
		RedisServer primary = ClusterFaults.shardOf(cluster, "books", "probe");
		RedisServer replica = cluster.replicaOf(primary);
		try {
			survives(output, "SIGSTOP of the primary", primary, replica, primary::pause);
		}
		finally {
			primary.resume();
		}
		cluster.awaitReady();
	}

	/**
	 * The node holding subscriptions freezes: the commands go to the other nodes and its
	 * replica once promoted, all succeeding, while the subscriptions on it hear nothing:
	 * the instances must notice, and subscribe again on a node that answers.
	 */
	@Test
	@Order(3)
	void aFrozenPrimaryHoldingSubscriptionsIsLeftForALiveNode(CapturedOutput output) {
		RedisServer victim = subscriptionHolder();
		RedisServer replica = cluster.replicaOf(victim);
		try {
			survives(output, "SIGSTOP of a primary holding " + held(victim) + " of " + instances.size()
					+ " subscriptions", victim, replica, victim::pause);
		}
		finally {
			victim.resume();
		}
		cluster.awaitReady();
	}

	@Test
	@Order(4)
	void killingAPrimaryHoldingSubscriptionsFailsNoCallAndTheInstancesListenAgain(CapturedOutput output) {
		RedisServer victim = subscriptionHolder();
		RedisServer replica = cluster.replicaOf(victim);
		survives(output, "kill -9 of a primary holding " + held(victim) + " of " + instances.size()
				+ " subscriptions", victim, replica, victim::kill);
	}

	/** The node holding the most subscriptions, made a primary if it is a replica. */
	private static RedisServer subscriptionHolder() {
		// a node resumed by the test before may still list a subscription its instance left
		await().until(() -> ClusterFaults.subscriptionHolders(cluster).size() == instances.size());
		RedisServer holder = ClusterFaults.subscriptionHolders(cluster).get(0);
		if (!cluster.primaries().contains(holder)) {
			cluster.failover(holder);
		}
		return holder;
	}

	private static long held(RedisServer node) {
		return ClusterFaults.subscriptionHolders(cluster).stream().filter((each) -> each == node).count();
	}

	/**
	 * Call every instance without pause, make the fault, invalidate a key on A right after
	 * it, and wait for the replica to take over: every instance reads Redis again, listens
	 * again, and stops serving the invalidated value within max-staleness; no call failed.
	 */
	private static void survives(CapturedOutput output, String fault, RedisServer primary, RedisServer replica,
			Runnable makeFault) {
		String probe = ClusterFaults.keyOn(cluster, "books", "probe", primary);
		String key = ClusterFaults.keyOn(cluster, "books", "k", primary);
		String old = books(A).book(key);
		for (int i = 1; i < instances.size(); i++) {
			instances.engine(i, "books").invalidateLocally(key);
			assertThat(books(i).book(key)).as("instance %s reads A's value", i).isEqualTo(old);
		}
		books(A).book(probe);
		ClusterFaults.awaitInSync(primary, replica);
		Caller[] callers = new Caller[instances.size()];
		try {
			for (int i = 0; i < callers.length; i++) {
				callers[i] = new Caller(instances, i, probe);
			}
			List<Caller> all = List.of(callers);
			await().until(() -> all.stream().allMatch((caller) -> caller.redisReads.get() > 3));
			int logged = output.length();
			long faulted = System.nanoTime();
			Caller.since(faulted, all);
			makeFault.run();
			// made while the replica has not taken over yet: kept until Redis answers, if it must
			instances.cache(A, "books").invalidate(key);
			cluster.awaitFailover(replica);
			long failover = System.nanoTime() - faulted;
			await().atMost(Duration.ofSeconds(20)).until(() -> all.stream().allMatch((c) -> c.recoveredAt.get() != 0));
			await().until(() -> tiers().allMatch(RedisTier::isUp));
			long answering = System.nanoTime();
			for (int i = 1; i < instances.size(); i++) {
				Books books = books(i);
				await().atMost(MAX_STALENESS).until(() -> !old.equals(books.book(key)));
			}
			long staleFor = System.nanoTime() - answering;
			await().until(() -> tiers().allMatch(RedisTier::isSubscribed));
			await().until(() -> instances.subscribers() == instances.size());
			long listening = System.nanoTime() - faulted;
			StringBuilder recovered = new StringBuilder();
			int failed = 0;
			long calls = 0;
			for (int i = 0; i < callers.length; i++) {
				recovered.append((i == 0) ? "" : ", ").append(millis(callers[i].recoveredAt.get() - faulted));
				failed += callers[i].failures.size();
				calls += callers[i].calls.get();
			}
			String shard = (ClusterFaults.shardOf(cluster, "books", probe) == replica) ? " (the callers' shard)"
					: " (not the callers' shard)";
			System.out.println("FailoverClusterTests: " + fault + shard + ": cluster ready after " + millis(failover)
					+ " ms; first value read from Redis after the fault, per instance: " + recovered
					+ " ms; all listening on live nodes after " + millis(listening) + " ms; the value invalidated "
					+ "at the fault served for " + millis(staleFor) + " ms after every tier was up; calls: " + calls
					+ ", failed: " + failed);
			for (Caller caller : callers) {
				assertThat(caller.failures).as("failed calls").isEmpty();
			}
			String log = output.toString().substring(logged);
			assertThat(log.split("Redis is back after", -1).length - 1).as("outages ended")
				.isLessThanOrEqualTo(instances.size());
		}
		finally {
			for (Caller caller : callers) {
				if (caller != null) {
					caller.close();
				}
			}
		}
		// and the tier works as before: B loads, A reads B's value, an invalidation reaches all
		await().untilAsserted(() -> {
			instances.cache(A, "books").invalidate("after");
			instances.awaitDelivered(A, "books");
			String after = books(1).book("after");
			instances.awaitDelivered(1, "books");
			assertThat(books(A).book("after")).as("A reads B's value through Redis").isEqualTo(after);
		});
	}

	private static java.util.stream.Stream<RedisTier> tiers() {
		return java.util.stream.IntStream.range(0, instances.size())
			.mapToObj((i) -> instances.bean(i, RedisTier.class));
	}

	private static Books books(int instance) {
		return instances.bean(instance, Books.class);
	}

}
