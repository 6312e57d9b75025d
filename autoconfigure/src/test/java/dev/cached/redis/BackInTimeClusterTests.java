package dev.cached.redis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.cached.redis.FailoverSentinelTests.Books;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failover of a Redis Cluster shard to a replica that had not received the last
 * invalidation is "Redis that comes back older": it never brings the invalidated value
 * back, not even for a moment, on the instance that invalidated it nor on the other. The
 * replica is cut off deterministically: paused ({@code SIGSTOP}) and its link dropped on
 * the primary ({@code CLIENT KILL TYPE replica}); the key is invalidated and loaded again
 * on the primary; the primary is killed ({@code kill -9}), the replica resumed and
 * promoted with {@code CLUSTER FAILOVER TAKEOVER} (no vote: the others may not count the
 * primary failed yet), holding the value and the cache's state from before the
 * invalidation.
 */
class BackInTimeClusterTests {

	private static final int A = 0;

	private static final int B = 1;

	private static RedisCluster cluster;

	private static Instances instances;

	@BeforeAll
	static void start() {
		cluster = RedisCluster.start();
		instances = Instances.start(cluster, FailoverSentinelTests.Application.class, 2,
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
			if (cluster != null) {
				cluster.close();
			}
		}
	}

	@Test
	void aFailoverToAReplicaThatMissedAnInvalidationNeverServesTheInvalidatedValue() {
		Books a = instances.bean(A, Books.class);
		Books b = instances.bean(B, Books.class);
		String v1 = a.book("k");
		assertThat(b.book("k")).as("B reads A's value").isEqualTo(v1);
		RedisServer primary = ClusterFaults.shardOf(cluster, "books", "k");
		RedisServer replica = cluster.replicaOf(primary);
		ClusterFaults.awaitInSync(primary, replica);

		replica.pause();
		String v2;
		try {
			primary.command("CLIENT", "KILL", "TYPE", "replica");
			// invalidated and loaded again where the replica cannot see it; B follows
			instances.cache(A, "books").invalidate("k");
			await().until(() -> !instances.cache(B, "books").contains("k"));
			v2 = a.book("k");
			assertThat(v2).isNotEqualTo(v1);
			assertThat(b.book("k")).isEqualTo(v2);
			primary.kill();
		}
		finally {
			replica.resume();
		}
		assertThat(replica.command("CLUSTER", "FAILOVER", "TAKEOVER")).hasToString("OK");
		cluster.awaitFailover(replica);

		// every call misses locally, as after an eviction: each looks in Redis once it answers
		List<String> served = new CopyOnWriteArrayList<>();
		await().until(() -> {
			missEverywhere(served);
			return instances.bean(A, RedisTier.class).isUp() && instances.bean(B, RedisTier.class).isUp()
					&& instances.engine(A, "books").getRemoteStatistics().hits() > 0;
		});
		long hitsA = instances.engine(A, "books").getRemoteStatistics().hits();
		long hitsB = instances.engine(B, "books").getRemoteStatistics().hits();
		for (int round = 0; round < 3; round++) {
			missEverywhere(served);
		}
		assertThat(served).as("values served after the failover").doesNotContain(v1);

		// and Redis is shared again: A reads B's value, after it invalidated the key on B
		await().untilAsserted(() -> {
			instances.cache(B, "books").invalidate("k");
			instances.awaitDelivered(B, "books");
			String fromB = b.book("k");
			instances.engine(A, "books").invalidateLocally("k");
			assertThat(a.book("k")).as("A reads B's value through Redis again").isEqualTo(fromB);
		});
		assertThat(instances.engine(A, "books").getRemoteStatistics().hits()).isGreaterThan(hitsA);
		assertThat(instances.engine(B, "books").getRemoteStatistics().hits()).isGreaterThanOrEqualTo(hitsB);
		assertThat(served).doesNotContain(v1);
	}

	private static void missEverywhere(List<String> served) {
		for (int i = 0; i < 2; i++) {
			instances.engine(i, "books").invalidateLocally("k");
			served.add(instances.bean(i, Books.class).book("k"));
		}
	}

}
