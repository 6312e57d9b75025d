package dev.cached.testing.redis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A real Redis Cluster for a test: {@code redis-server} processes in cluster mode
 * ({@code --cluster-enabled yes}), each a {@link RedisServer} on a free port of
 * {@code 127.0.0.1} with a data directory of its own; the primaries are made a cluster by
 * {@code redis-cli --cluster create ... --cluster-yes} (the 16384 slots shared evenly), and
 * each gets its replicas ({@code CLUSTER REPLICATE}). {@link #start()} returns once every
 * node reports {@code cluster_state:ok}, knows every other node, and every replica is in
 * sync with its primary.
 * <pre class="code">
 * try (RedisCluster cluster = RedisCluster.start()) {
 * 	// point the application at cluster.addresses()
 * 	RedisServer primary = cluster.nodeFor("some-key");
 * 	RedisServer promoted = cluster.killPrimary(primary); // kill -9, then the failover
 * }
 * </pre>
 * Faults: a node can be killed ({@code SIGKILL}) or paused ({@code SIGSTOP}) through its
 * {@link RedisServer}, {@link #failover(RedisServer)} promotes a replica by hand
 * ({@code CLUSTER FAILOVER}), {@link #killPrimary(RedisServer)} kills a primary and waits
 * for its replica to take over. The nodes find a failed node within the
 * {@link Builder#nodeTimeout(Duration) node timeout} (1 s by default, so that a failover
 * takes seconds). Every wait polls a condition with a bound, and ends with the nodes' logs
 * when it does not hold. {@link #close()} stops every node and deletes its directory, and a
 * failed start does too.
 * <p>
 * Without {@code redis-server} or {@code redis-cli} on the {@code PATH}, {@link #start()}
 * skips the calling test, or fails it in CI ({@code CI=true}), as
 * {@link RedisServer#assumeAvailable()} does.
 */
public final class RedisCluster implements AutoCloseable {

	static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

	private final List<RedisServer> nodes;

	private final Duration nodeTimeout;

	private RedisCluster(List<RedisServer> nodes, Duration nodeTimeout) {
		this.nodes = List.copyOf(nodes);
		this.nodeTimeout = nodeTimeout;
	}

	/**
	 * Start a cluster of three primaries with one replica each, and wait until it is ready.
	 * @return the running cluster
	 * @throws IllegalStateException if it does not come up; the message has the nodes' logs
	 */
	public static RedisCluster start() {
		return builder().start();
	}

	/**
	 * Return a builder for a cluster with options.
	 * @return a new builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Return every node, as started: the primaries first, then the replicas (of the first
	 * primary, of the second, ...). The roles change with failovers: see
	 * {@link #primaries()}.
	 * @return the nodes
	 */
	public List<RedisServer> nodes() {
		return this.nodes;
	}

	/**
	 * Return the address of every node, {@code 127.0.0.1:<port>}: what
	 * {@code spring.data.redis.cluster.nodes} takes.
	 * @return the addresses, in the order of {@link #nodes()}
	 */
	public List<String> addresses() {
		List<String> addresses = new ArrayList<>();
		for (RedisServer node : this.nodes) {
			addresses.add(Topology.address(node));
		}
		return addresses;
	}

	/**
	 * Return the nodes that are primaries now, as they say themselves ({@code ROLE}); a
	 * node killed or paused is not asked, and not listed.
	 * @return the primaries that answer
	 */
	public List<RedisServer> primaries() {
		return withRole("master");
	}

	/**
	 * Return the nodes that are replicas now, as they say themselves; a node killed or
	 * paused is not listed.
	 * @return the replicas that answer
	 */
	public List<RedisServer> replicas() {
		return withRole("slave");
	}

	/**
	 * Return a replica of a primary, as the replicas that answer say.
	 * @param primary a primary
	 * @return one of its replicas
	 * @throws IllegalStateException if no replica that answers follows it
	 */
	public RedisServer replicaOf(RedisServer primary) {
		for (RedisServer replica : replicas()) {
			if (followsPort(replica, primary)) {
				return replica;
			}
		}
		throw new IllegalStateException("No replica that answers follows " + primary);
	}

	/**
	 * Return the slot of a key ({@code CLUSTER KEYSLOT}).
	 * @param key the key
	 * @return its slot, 0 to 16383
	 */
	public int slot(String key) {
		return ((Long) Objects.requireNonNull(anyNode().command("CLUSTER", "KEYSLOT", key))).intValue();
	}

	/**
	 * Return the primary that serves a key now, as the primaries say
	 * ({@code CLUSTER NODES}).
	 * @param key the key
	 * @return its primary
	 */
	public RedisServer nodeFor(String key) {
		return primaryOfSlot(slot(key));
	}

	/**
	 * Return the primary that serves a slot now, as a node that answers says.
	 * @param slot the slot
	 * @return its primary
	 * @throws IllegalStateException if no primary that answers serves it
	 */
	public RedisServer primaryOfSlot(int slot) {
		for (RedisServer primary : primaries()) {
			if (ClusterNodes.owns(primary, slot)) {
				return primary;
			}
		}
		throw new IllegalStateException("No primary that answers serves slot " + slot + "\n" + Topology.logs(this.nodes));
	}

	/**
	 * Promote a replica by hand ({@code CLUSTER FAILOVER}, the coordinated failover: its
	 * primary stops taking writes until the replica has them all) and wait until it is a
	 * primary and the cluster is {@link #awaitReady() ready} again.
	 * @param replica a replica
	 * @return how long the failover took, from the command to a ready cluster
	 */
	public Duration failover(RedisServer replica) {
		long start = System.nanoTime();
		// a replica still syncing lets a manual failover time out (after 5 s) without a word
		Topology.await(replica + " to be in sync with its primary", READY_TIMEOUT, this.nodes,
				() -> "up".equals(Topology.info(replica, "master_link_status", "INFO", "replication")));
		Resp.expectOk("CLUSTER FAILOVER", replica.command("CLUSTER", "FAILOVER"));
		Topology.await(replica + " to become a primary", READY_TIMEOUT, this.nodes,
				() -> "master".equals(Topology.role(replica)));
		awaitReady();
		return Duration.ofNanos(System.nanoTime() - start);
	}

	/**
	 * Kill a primary ({@code SIGKILL}), as a crash would, and wait until one of its
	 * replicas has taken over and the cluster is {@link #awaitReady() ready} again.
	 * @param primary a primary with a replica
	 * @return the replica that took over
	 */
	public RedisServer killPrimary(RedisServer primary) {
		RedisServer replica = replicaOf(primary);
		primary.kill();
		awaitFailover(replica);
		return replica;
	}

	/**
	 * Wait until a replica has become a primary (after its primary was killed or paused)
	 * and the cluster is {@link #awaitReady() ready} again.
	 * @param replica the replica expected to take over
	 * @return how long it took from this call on
	 */
	public Duration awaitFailover(RedisServer replica) {
		long start = System.nanoTime();
		Duration timeout = READY_TIMEOUT.plus(this.nodeTimeout.multipliedBy(4));
		Topology.await(replica + " to take over from its primary", timeout, this.nodes,
				() -> "master".equals(Topology.role(replica)));
		awaitReady();
		return Duration.ofNanos(System.nanoTime() - start);
	}

	/**
	 * Wait until every node that answers (not killed, not paused) reports
	 * {@code cluster_state:ok}, every slot is served by a primary that answers, and every
	 * replica that answers is in sync with its primary.
	 * @return how long it took
	 * @throws IllegalStateException if that does not happen within 20 seconds; the
	 * message has the nodes' logs
	 */
	public Duration awaitReady() {
		String what = "cluster_state:ok and replicas in sync on every node that answers";
		return Topology.await(what, READY_TIMEOUT, this.nodes, () -> {
			List<RedisServer> answering = Topology.answering(this.nodes);
			for (RedisServer node : answering) {
				if (!"ok".equals(Topology.info(node, "cluster_state", "CLUSTER", "INFO"))) {
					return false;
				}
			}
			for (RedisServer replica : replicas()) {
				if (!"up".equals(Topology.info(replica, "master_link_status", "INFO", "replication"))) {
					return false;
				}
			}
			int served = 0;
			for (RedisServer primary : primaries()) {
				served += ClusterNodes.slotsOf(primary);
			}
			return served == 16384 && !answering.isEmpty();
		});
	}

	/**
	 * Return the node id of a node ({@code CLUSTER MYID}).
	 * @param node a node that answers
	 * @return its id
	 */
	public String id(RedisServer node) {
		return String.valueOf(node.command(Topology.QUERY_TIMEOUT, "CLUSTER", "MYID"));
	}

	/**
	 * Stop every node and delete its data directory.
	 */
	@Override
	public void close() {
		Topology.closeAll(this.nodes);
	}

	@Override
	public String toString() {
		return "RedisCluster " + addresses();
	}

	private RedisServer anyNode() {
		List<RedisServer> answering = Topology.answering(this.nodes);
		if (answering.isEmpty()) {
			throw new IllegalStateException("No node of " + this + " answers");
		}
		return answering.get(0);
	}

	private List<RedisServer> withRole(String role) {
		List<RedisServer> found = new ArrayList<>();
		for (RedisServer node : Topology.answering(this.nodes)) {
			try {
				if (role.equals(Topology.role(node))) {
					found.add(node);
				}
			}
			catch (RuntimeException ex) {
				// stopped answering meanwhile: not listed
			}
		}
		return found;
	}

	private static boolean followsPort(RedisServer replica, RedisServer primary) {
		return String.valueOf(primary.port()).equals(Topology.info(replica, "master_port", "INFO", "replication"));
	}

	/**
	 * The options of a cluster: how many primaries, how many replicas each, the node
	 * timeout, further arguments of every node.
	 */
	public static final class Builder {

		private int primaries = 3;

		private int replicasPerPrimary = 1;

		private Duration nodeTimeout = Duration.ofSeconds(1);

		private final List<String> arguments = new ArrayList<>();

		private Builder() {
		}

		/**
		 * Set how many primaries share the slots (3 by default, the least Redis accepts).
		 * @param primaries at least 3
		 * @return this builder
		 */
		public Builder primaries(int primaries) {
			if (primaries < 3) {
				throw new IllegalArgumentException("A Redis Cluster needs at least 3 primaries, not " + primaries);
			}
			this.primaries = primaries;
			return this;
		}

		/**
		 * Set how many replicas each primary has (1 by default; 0 for none).
		 * @param replicas 0 or more
		 * @return this builder
		 */
		public Builder replicasPerPrimary(int replicas) {
			if (replicas < 0) {
				throw new IllegalArgumentException("replicasPerPrimary must be 0 or more, not " + replicas);
			}
			this.replicasPerPrimary = replicas;
			return this;
		}

		/**
		 * Set the cluster's node timeout ({@code cluster-node-timeout}, 1 s by default):
		 * how long a node may not answer before the others count it failed.
		 * @param nodeTimeout at least 100 ms
		 * @return this builder
		 */
		public Builder nodeTimeout(Duration nodeTimeout) {
			if (nodeTimeout.toMillis() < 100) {
				throw new IllegalArgumentException("nodeTimeout must be at least 100 ms, not " + nodeTimeout);
			}
			this.nodeTimeout = nodeTimeout;
			return this;
		}

		/**
		 * Add command-line arguments for every node, after the launcher's own.
		 * @param arguments the arguments, as for {@link RedisServer.Builder#arguments}
		 * @return this builder
		 */
		public Builder arguments(String... arguments) {
			RedisServer.builder().arguments(arguments);
			this.arguments.addAll(List.of(arguments));
			return this;
		}

		/**
		 * Start the cluster and wait until it is ready: see {@link RedisCluster}.
		 * @return the running cluster
		 * @throws IllegalStateException if it does not come up; the message has the nodes'
		 * logs
		 */
		public RedisCluster start() {
			RedisServer.assumeAvailable();
			Path cli = Topology.cli();
			List<RedisServer> nodes = new ArrayList<>();
			try {
				int count = this.primaries * (1 + this.replicasPerPrimary);
				for (int i = 0; i < count; i++) {
					nodes.add(RedisServer.builder().arguments(nodeArguments()).start());
				}
				RedisCluster cluster = new RedisCluster(nodes, this.nodeTimeout);
				ClusterNodes.create(cli, nodes.subList(0, this.primaries), nodes);
				ClusterNodes.replicate(nodes, this.primaries, this.replicasPerPrimary);
				cluster.awaitReady();
				return cluster;
			}
			catch (RuntimeException | Error ex) {
				try {
					Topology.closeAll(nodes);
				}
				catch (RuntimeException closing) {
					ex.addSuppressed(closing);
				}
				throw ex;
			}
		}

		private String[] nodeArguments() {
			List<String> all = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
					"--cluster-node-timeout", String.valueOf(this.nodeTimeout.toMillis()),
					// a replica takes over however long it was cut off, and stays with its primary
					"--cluster-replica-validity-factor", "0", "--cluster-allow-replica-migration", "no",
					// a replica's first sync starts at once, not after the default 5 s
					"--repl-diskless-sync-delay", "0"));
			all.addAll(this.arguments);
			return all.toArray(new String[0]);
		}

	}

}
