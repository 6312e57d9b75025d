package dev.cached.testing.redis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * The launcher {@link RedisCluster}: three primaries with a replica each, made a cluster by
 * {@code redis-cli --cluster create}; a replica promoted by hand and a primary killed are
 * replaced, and the cluster is ready again. One cluster for the class: each test leaves it
 * with three primaries and three replicas, whichever nodes they are.
 */
class RedisClusterTests {

	private static RedisCluster cluster;

	@BeforeAll
	static void startCluster() {
		cluster = RedisCluster.start();
	}

	/** Closing stops every node and deletes its directory. */
	@AfterAll
	static void closeCluster() {
		if (cluster == null) {
			return;
		}
		List<Path> directories = new ArrayList<>();
		for (RedisServer node : cluster.nodes()) {
			directories.add(node.directory());
		}
		cluster.close();
		assertThat(cluster.nodes()).noneMatch(RedisServer::isRunning);
		assertThat(directories).noneMatch(Files::exists);
	}

	@Test
	void startsThreePrimariesWithAReplicaEachOnFreePorts() {
		assertThat(cluster.nodes()).hasSize(6);
		Set<Integer> ports = new HashSet<>();
		for (RedisServer node : cluster.nodes()) {
			ports.add(node.port());
			assertThat(node.command("CLUSTER", "INFO").toString()).contains("cluster_state:ok")
				.contains("cluster_slots_assigned:16384")
				.contains("cluster_known_nodes:6");
		}
		assertThat(ports).hasSize(6).doesNotContain(6379);
		assertThat(cluster.addresses()).hasSize(6).allMatch((address) -> address.startsWith("127.0.0.1:"));
		assertThat(cluster.primaries()).hasSize(3);
		assertThat(cluster.replicas()).hasSize(3);
		for (RedisServer primary : cluster.primaries()) {
			assertThat(cluster.replicaOf(primary)).isIn(cluster.replicas());
		}
	}

	@Test
	void routesAKeyToThePrimaryOfItsSlot() {
		String key = "routed-" + System.nanoTime();
		int slot = cluster.slot(key);
		assertThat(slot).isBetween(0, 16383);
		RedisServer primary = cluster.nodeFor(key);
		assertThat(primary.command("SET", key, "v")).isEqualTo("OK");
		assertThat(primary.command("GET", key)).isEqualTo("v");
		RedisServer other = cluster.primaries().stream().filter((node) -> node != primary).findFirst().orElseThrow();
		assertThatIllegalStateException().isThrownBy(() -> other.command("GET", key))
			.withMessageContaining("MOVED " + slot + " 127.0.0.1:" + primary.port());
		// the write reaches the primary's replica
		assertThat(primary.command("WAIT", "1", "5000")).isEqualTo(1L);
	}

	@Test
	void promotesAReplicaByHand() {
		String key = "failover-" + System.nanoTime();
		RedisServer primary = cluster.nodeFor(key);
		primary.command("SET", key, "kept");
		RedisServer replica = cluster.replicaOf(primary);
		Duration took = cluster.failover(replica);
		System.out.println("RedisClusterTests: CLUSTER FAILOVER ready again after " + took.toMillis() + " ms");
		assertThat(cluster.nodeFor(key)).isSameAs(replica);
		assertThat(cluster.replicaOf(replica)).isSameAs(primary);
		assertThat(replica.command("GET", key)).isEqualTo("kept");
		assertThat(cluster.primaries()).hasSize(3);
	}

	@Test
	void replacesAKilledPrimaryWithItsReplica() {
		String key = "killed-" + System.nanoTime();
		RedisServer primary = cluster.nodeFor(key);
		primary.command("SET", key, "kept");
		assertThat(primary.command("WAIT", "1", "5000")).isEqualTo(1L);
		RedisServer replica = cluster.replicaOf(primary);
		long start = System.nanoTime();
		RedisServer promoted = cluster.killPrimary(primary);
		System.out.println("RedisClusterTests: kill -9 of a primary: ready again after "
				+ Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
		assertThat(promoted).isSameAs(replica);
		assertThat(primary.isRunning()).isFalse();
		assertThat(cluster.nodeFor(key)).isSameAs(replica);
		assertThat(cluster.primaries()).hasSize(3).doesNotContain(primary);
		// back from the dead, the old primary rejoins as a replica of the one that took over
		primary.restart();
		await().atMost(Duration.ofSeconds(20)).until(() -> cluster.replicas().contains(primary));
		cluster.awaitReady();
		assertThat(cluster.replicaOf(replica)).isSameAs(primary);
	}

	@Test
	void doesNotCountAPausedNodeAsAnswering() {
		RedisServer replica = cluster.replicas().get(0);
		replica.pause();
		try {
			assertThat(cluster.replicas()).hasSize(2).doesNotContain(replica);
			assertThat(cluster.awaitReady()).isLessThan(Duration.ofSeconds(5));
		}
		finally {
			replica.resume();
		}
		assertThat(cluster.replicas()).hasSize(3).contains(replica);
	}

	@Test
	void rejectsOptionsItCannotStart() {
		assertThatIllegalArgumentException().isThrownBy(() -> RedisCluster.builder().primaries(2))
			.withMessageContaining("at least 3 primaries");
		assertThatIllegalArgumentException().isThrownBy(() -> RedisCluster.builder().arguments("--port", "1"))
			.withMessageContaining("--port");
		assertThatIllegalArgumentException().isThrownBy(() -> RedisCluster.builder().nodeTimeout(Duration.ofMillis(1)));
	}

	@Test
	void stopsEveryNodeWhenTheClusterCannotBeMade() {
		// the nodes start, but not in cluster mode (a later value wins): redis-cli refuses them
		String message = catchIllegalStateException(
				() -> RedisCluster.builder().replicasPerPrimary(0).arguments("--cluster-enabled", "no").start())
			.getMessage();
		assertThat(message).contains("--cluster create").contains("log:");
		Matcher node = Pattern.compile("--- RedisServer 127\\.0\\.0\\.1:(\\d+)").matcher(message);
		List<Integer> ports = new ArrayList<>();
		while (node.find()) {
			ports.add(Integer.parseInt(node.group(1)));
		}
		assertThat(ports).hasSize(3);
		for (int port : ports) {
			assertThat(Resp.answersPing(port, Duration.ofMillis(200))).as("node on port %d", port).isFalse();
		}
	}


}
