package dev.cached.testing.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Redis with Sentinel for a test: a primary, its replicas ({@code --replicaof}) and
 * sentinels ({@code redis-server <file> --sentinel}) that watch it under one
 * {@link #masterName() master name}, each a {@link RedisServer} on a free port of
 * {@code 127.0.0.1} with a data directory of its own. {@link Builder#start()} returns once
 * every replica is in sync and every sentinel knows the primary, its replicas and the other
 * sentinels (they find each other through the primary within about two seconds), so that a
 * failover can be agreed at once.
 * <pre class="code">
 * try (RedisSentinelSetup sentinel = RedisSentinelSetup.start()) {
 * 	// spring.data.redis.sentinel.master = sentinel.masterName()
 * 	// spring.data.redis.sentinel.nodes = sentinel.sentinelAddresses()
 * 	RedisServer promoted = sentinel.killPrimary(); // kill -9, then the failover
 * }
 * </pre>
 * The sentinels count the primary down after {@link Builder#downAfter(Duration) down-after}
 * (1 s by default) without an answer, and a quorum of two (of three) starts the failover.
 * Every wait polls a condition with a bound, and ends with the servers' logs when it does
 * not hold. {@link #close()} stops every server and deletes its directory, and a failed
 * start does too. Without {@code redis-server} on the {@code PATH}, the start skips the
 * calling test, or fails it in CI ({@code CI=true}), as
 * {@link RedisServer#assumeAvailable()} does.
 */
public final class RedisSentinelSetup implements AutoCloseable {

	private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

	private static final String[] SYNC_AT_ONCE = { "--repl-diskless-sync-delay", "0" };

	private final String masterName;

	private final List<RedisServer> dataNodes;

	private final List<RedisServer> sentinels;

	private final Duration downAfter;

	private RedisSentinelSetup(String masterName, List<RedisServer> dataNodes, List<RedisServer> sentinels,
			Duration downAfter) {
		this.masterName = masterName;
		this.dataNodes = List.copyOf(dataNodes);
		this.sentinels = List.copyOf(sentinels);
		this.downAfter = downAfter;
	}

	/**
	 * Start a primary, one replica and three sentinels, and wait until they are ready.
	 * @return the running setup
	 * @throws IllegalStateException if it does not come up; the message has the logs
	 */
	public static RedisSentinelSetup start() {
		return builder().start();
	}

	/**
	 * Return a builder for a setup with options.
	 * @return a new builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Return the name the sentinels know the primary by
	 * ({@code spring.data.redis.sentinel.master}).
	 * @return the master name
	 */
	public String masterName() {
		return this.masterName;
	}

	/**
	 * Return the sentinels.
	 * @return the sentinels, as started
	 */
	public List<RedisServer> sentinels() {
		return this.sentinels;
	}

	/**
	 * Return the addresses of the sentinels, {@code 127.0.0.1:<port>}: what
	 * {@code spring.data.redis.sentinel.nodes} takes.
	 * @return the addresses
	 */
	public List<String> sentinelAddresses() {
		List<String> addresses = new ArrayList<>();
		for (RedisServer sentinel : this.sentinels) {
			addresses.add(Topology.address(sentinel));
		}
		return addresses;
	}

	/**
	 * Return the data servers: the first primary, then its replicas, as started. The roles
	 * change with failovers: see {@link #primary()}.
	 * @return the primary and the replicas
	 */
	public List<RedisServer> dataNodes() {
		return this.dataNodes;
	}

	/**
	 * Return the primary now: the data server at the address the sentinels that answer
	 * give for the master name, once they agree on one.
	 * @return the primary
	 * @throws IllegalStateException if the sentinels do not agree on a running data server
	 * within 20 seconds
	 */
	public RedisServer primary() {
		@Nullable RedisServer[] primary = new RedisServer[1];
		Topology.await("the sentinels to agree on a primary of " + this.masterName, READY_TIMEOUT, all(), () -> {
			primary[0] = agreedPrimary();
			return primary[0] != null;
		});
		return java.util.Objects.requireNonNull(primary[0]);
	}

	/**
	 * Return the data servers that are replicas now, as they say themselves ({@code ROLE});
	 * one killed or paused is not listed.
	 * @return the replicas that answer
	 */
	public List<RedisServer> replicas() {
		List<RedisServer> replicas = new ArrayList<>();
		for (RedisServer node : Topology.answering(this.dataNodes)) {
			if ("slave".equals(Topology.role(node))) {
				replicas.add(node);
			}
		}
		return replicas;
	}

	/**
	 * Kill the primary ({@code SIGKILL}), as a crash would, and wait for the failover.
	 * @return the replica that was promoted
	 */
	public RedisServer killPrimary() {
		RedisServer primary = primary();
		primary.kill();
		awaitFailover(primary);
		return primary();
	}

	/**
	 * Wait until the sentinels that answer agree on another primary than {@code old}, and
	 * it says it is one (killed or paused the old one, for instance).
	 * @param old the primary before the failover
	 * @return how long it took from this call on
	 * @throws IllegalStateException if that does not happen in time; the message has the logs
	 */
	public Duration awaitFailover(RedisServer old) {
		Duration timeout = READY_TIMEOUT.plus(this.downAfter.multipliedBy(4));
		return Topology.await("the sentinels to promote a replica in place of " + old, timeout, all(), () -> {
			RedisServer primary = agreedPrimary();
			return primary != null && primary != old && "master".equals(Topology.role(primary));
		});
	}

	/**
	 * Stop every sentinel and data server, and delete their directories.
	 */
	@Override
	public void close() {
		List<RedisServer> all = new ArrayList<>(this.sentinels);
		all.addAll(this.dataNodes);
		Topology.closeAll(all);
	}

	@Override
	public String toString() {
		return "RedisSentinelSetup " + this.masterName + " sentinels " + sentinelAddresses();
	}

	private List<RedisServer> all() {
		List<RedisServer> all = new ArrayList<>(this.dataNodes);
		all.addAll(this.sentinels);
		return all;
	}

	/** The data server every sentinel that answers names as the primary, or null. */
	private @Nullable RedisServer agreedPrimary() {
		RedisServer agreed = null;
		List<RedisServer> answering = Topology.answering(this.sentinels);
		if (answering.isEmpty()) {
			return null;
		}
		for (RedisServer sentinel : answering) {
			Object address = sentinel.command(Topology.QUERY_TIMEOUT, "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
					this.masterName);
			RedisServer named = (address instanceof List<?> list && list.size() == 2) ? byPort(list.get(1)) : null;
			if (named == null || (agreed != null && agreed != named)) {
				return null;
			}
			agreed = named;
		}
		return Topology.answering(agreed) ? agreed : null;
	}

	private @Nullable RedisServer byPort(@Nullable Object port) {
		for (RedisServer node : this.dataNodes) {
			if (String.valueOf(node.port()).equals(String.valueOf(port))) {
				return node;
			}
		}
		return null;
	}

	/**
	 * The options of a setup: the master name, how many replicas and sentinels, how soon
	 * a sentinel counts the primary down.
	 */
	public static final class Builder {

		private String masterName = "mymaster";

		private int replicas = 1;

		private int sentinels = 3;

		private Duration downAfter = Duration.ofSeconds(1);

		private Builder() {
		}

		/**
		 * Set the name the sentinels know the primary by ({@code mymaster} by default).
		 * @param masterName the name
		 * @return this builder
		 */
		public Builder masterName(String masterName) {
			if (masterName.isBlank() || masterName.chars().anyMatch(Character::isWhitespace)) {
				throw new IllegalArgumentException("A master name without spaces is needed, not '" + masterName + "'");
			}
			this.masterName = masterName;
			return this;
		}

		/**
		 * Set how many replicas the primary has (1 by default).
		 * @param replicas at least 1: a failover needs one
		 * @return this builder
		 */
		public Builder replicas(int replicas) {
			if (replicas < 1) {
				throw new IllegalArgumentException("replicas must be at least 1, not " + replicas);
			}
			this.replicas = replicas;
			return this;
		}

		/**
		 * Set how many sentinels watch the primary (3 by default); the quorum is a
		 * majority of them.
		 * @param sentinels at least 1
		 * @return this builder
		 */
		public Builder sentinels(int sentinels) {
			if (sentinels < 1) {
				throw new IllegalArgumentException("sentinels must be at least 1, not " + sentinels);
			}
			this.sentinels = sentinels;
			return this;
		}

		/**
		 * Set how long a primary may not answer before a sentinel counts it down
		 * ({@code down-after-milliseconds}, 1 s by default).
		 * @param downAfter at least 100 ms
		 * @return this builder
		 */
		public Builder downAfter(Duration downAfter) {
			if (downAfter.toMillis() < 100) {
				throw new IllegalArgumentException("downAfter must be at least 100 ms, not " + downAfter);
			}
			this.downAfter = downAfter;
			return this;
		}

		/**
		 * Start the setup and wait until it is ready: see {@link RedisSentinelSetup}.
		 * @return the running setup
		 * @throws IllegalStateException if it does not come up; the message has the logs
		 */
		public RedisSentinelSetup start() {
			RedisServer.assumeAvailable();
			List<RedisServer> dataNodes = new ArrayList<>();
			List<RedisServer> sentinels = new ArrayList<>();
			try {
				// a replica's first sync starts at once, not after the default 5 s
				RedisServer primary = RedisServer.builder().arguments(SYNC_AT_ONCE).start();
				dataNodes.add(primary);
				for (int i = 0; i < this.replicas; i++) {
					dataNodes.add(RedisServer.builder()
						.arguments(SYNC_AT_ONCE)
						.arguments("--replicaof", RedisServer.HOST, String.valueOf(primary.port()))
						.start());
				}
				int quorum = this.sentinels / 2 + 1;
				List<String> config = List.of("sentinel resolve-hostnames no",
						"sentinel monitor " + this.masterName + " " + RedisServer.HOST + " " + primary.port() + " "
								+ quorum,
						"sentinel down-after-milliseconds " + this.masterName + " " + this.downAfter.toMillis(),
						"sentinel failover-timeout " + this.masterName + " " + this.downAfter.multipliedBy(5).toMillis(),
						"sentinel parallel-syncs " + this.masterName + " 1");
				for (int i = 0; i < this.sentinels; i++) {
					sentinels.add(RedisServer.builder().sentinel(config).start());
				}
				RedisSentinelSetup setup = new RedisSentinelSetup(this.masterName, dataNodes, sentinels,
						this.downAfter);
				awaitReady(setup);
				return setup;
			}
			catch (RuntimeException | Error ex) {
				List<RedisServer> all = new ArrayList<>(sentinels);
				all.addAll(dataNodes);
				try {
					Topology.closeAll(all);
				}
				catch (RuntimeException closing) {
					ex.addSuppressed(closing);
				}
				throw ex;
			}
		}

		private void awaitReady(RedisSentinelSetup setup) {
			List<RedisServer> all = setup.all();
			Topology.await("every replica to be in sync with the primary", READY_TIMEOUT, all, () -> {
				for (RedisServer replica : setup.dataNodes.subList(1, setup.dataNodes.size())) {
					if (!"up".equals(Topology.info(replica, "master_link_status", "INFO", "replication"))) {
						return false;
					}
				}
				return true;
			});
			String others = String.valueOf(this.sentinels - 1);
			String replicas = String.valueOf(this.replicas);
			Topology.await("every sentinel to know the primary, its replicas and the other sentinels", READY_TIMEOUT,
					all, () -> {
						for (RedisServer sentinel : setup.sentinels) {
							Object master = sentinel.command(Topology.QUERY_TIMEOUT, "SENTINEL", "MASTER",
									this.masterName);
							if (!others.equals(field(master, "num-other-sentinels"))
									|| !replicas.equals(field(master, "num-slaves"))) {
								return false;
							}
						}
						return true;
					});
		}

		/** A field of a reply that lists names and values in turn ({@code SENTINEL MASTER}). */
		private static @Nullable String field(@Nullable Object reply, String name) {
			if (reply instanceof List<?> list) {
				for (int i = 0; i + 1 < list.size(); i += 2) {
					if (name.equals(list.get(i))) {
						return String.valueOf(list.get(i + 1));
					}
				}
			}
			return null;
		}

	}

}
