package dev.cached.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.cached.key.StableKeys;
import dev.cached.redis.RedisKeyLayout;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.RedisCodec;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Redis that {@link ManyInstances}, {@link RedisHitPairs} and {@link RedisBenchmarks}
 * run on, chosen by {@code -Dbench.redis}: {@code single} (the default) is one
 * {@code redis-server} ({@link RedisBenchmarkApplication#startRedis()}); {@code cluster} is
 * a Redis Cluster ({@link RedisCluster}) of {@value #PRIMARIES} primaries with
 * {@code -Dbench.redis.replicas} replicas each (1 by default, 0 for none), from the
 * {@code redis-server} and {@code redis-cli} on the {@code PATH}. Either way on free ports
 * of {@value RedisServer#HOST}, stopped and deleted by {@link #close()}.
 * <p>
 * The instances it starts ({@link #startInstance}) are {@link RedisBenchmarkApplication}s
 * pointed at it: {@code spring.data.redis.host} and {@code .port}, or
 * {@code spring.data.redis.cluster.nodes} (every node) with Boot's Lettuce topology
 * refresh on its adaptive triggers and every {@code -Dbench.redis.refresh} (a duration,
 * {@code 1s} by default: what the project's cluster tests use to follow a failover
 * quickly). The raw connections it opens ({@link #lettuce}) are a {@link RedisClient}'s,
 * or a {@link RedisClusterClient}'s with the same refresh, which routes each command to
 * the primary of its key's slot.
 */
final class BenchmarkRedis implements AutoCloseable {

	/** The tier's key prefix in the benchmark application (its default). */
	private static final String PREFIX = "cached:";

	/** The system property that chooses the topology. */
	static final String PROPERTY = "bench.redis";

	static final int PRIMARIES = 3;

	private static final String REFRESH_TEXT = System.getProperty(PROPERTY + ".refresh", "1s").trim();

	private static final Duration REFRESH = DurationStyle.detectAndParse(REFRESH_TEXT);

	private final @Nullable RedisServer server;

	private final @Nullable RedisCluster cluster;

	private final int replicas;

	private final List<AbstractRedisClient> clients = new ArrayList<>();

	private final List<StatefulConnection<?, ?>> connections = new ArrayList<>();

	private BenchmarkRedis(@Nullable RedisServer server, @Nullable RedisCluster cluster, int replicas) {
		this.server = server;
		this.cluster = cluster;
		this.replicas = replicas;
	}

	/**
	 * Whether {@code -Dbench.redis} asks for a cluster.
	 * @return {@code true} for {@code cluster}, {@code false} for {@code single} or nothing
	 * @throws IllegalArgumentException for anything else
	 */
	static boolean clusterWanted() {
		String topology = System.getProperty(PROPERTY, "single").trim();
		if (!topology.equals("single") && !topology.equals("cluster")) {
			throw new IllegalArgumentException("-D" + PROPERTY + ": unknown topology '" + topology
					+ "' (single or cluster)");
		}
		return topology.equals("cluster");
	}

	/**
	 * Whether the binaries are there: {@link RedisBenchmarkApplication#redisServerBinary()}
	 * for one server; {@code redis-server} on the {@code PATH} for a cluster (whose
	 * launcher also needs {@code redis-cli} there, and says so if it is not).
	 * @return whether the Redis harnesses can run
	 */
	static boolean available() {
		return clusterWanted() ? RedisServer.findExecutable() != null
				: RedisBenchmarkApplication.redisServerBinary() != null;
	}

	/**
	 * Return the version of the binary the chosen topology runs.
	 * @return its version line, or {@code none}
	 */
	static String version() {
		if (!clusterWanted()) {
			return RedisBenchmarkApplication.redisServerVersion();
		}
		Path binary = RedisServer.findExecutable();
		return (binary != null) ? RedisServer.version(binary) : "none";
	}

	/**
	 * Start the topology that {@code -Dbench.redis} chooses, and wait until it is ready.
	 * @return the running Redis
	 */
	static BenchmarkRedis start() {
		if (!clusterWanted()) {
			return new BenchmarkRedis(RedisBenchmarkApplication.startRedis(), null, 0);
		}
		int replicas = Integer.getInteger(PROPERTY + ".replicas", 1);
		RedisCluster cluster = RedisCluster.builder().primaries(PRIMARIES).replicasPerPrimary(replicas).start();
		return new BenchmarkRedis(null, cluster, replicas);
	}

	boolean isCluster() {
		return this.cluster != null;
	}

	/**
	 * Say what runs, for the tables: the topology and its ports.
	 * @return a description
	 */
	String describe() {
		if (this.cluster == null) {
			return "one redis-server, port " + server().port();
		}
		return String.format(Locale.ROOT,
				"a Redis Cluster of %d primaries with %d replica%s each, ports %s, topology refresh every %s and adaptive",
				PRIMARIES, this.replicas, (this.replicas == 1) ? "" : "s", ports(this.cluster.nodes()),
				REFRESH_TEXT);
	}

	/**
	 * Return every node: the one server, or every node of the cluster, primaries and
	 * replicas.
	 * @return the nodes
	 */
	List<RedisServer> nodes() {
		return (this.cluster != null) ? this.cluster.nodes() : List.of(server());
	}

	/**
	 * Say where the subscriptions to a channel are and which node serves a cache's keys,
	 * for the harness' log: on a cluster, a message crosses the cluster bus to reach a
	 * subscription on another node than the one that published it.
	 * @param channel the channel
	 * @param cache a cache name
	 * @return for example {@code subscriptions per node 1 0 2 0 0 0; the meta hash of cache X on port P}
	 */
	String placement(String channel, String cache) {
		StringBuilder placement = new StringBuilder("subscriptions per node (ports " + ports(nodes()) + "):");
		for (RedisServer node : nodes()) {
			placement.append(' ').append(((List<?>) node.command("PUBSUB", "NUMSUB", channel)).get(1));
		}
		RedisServer owner = (this.cluster != null) ? this.cluster.nodeFor(meta(cache)) : server();
		return placement.append("; ").append("meta of ").append(cache).append(" on port ").append(owner.port()).toString();
	}

	/**
	 * Return how many connections listen on a channel. A node counts only its own
	 * clients' subscriptions ({@code PUBSUB NUMSUB} is per node on a cluster, while a
	 * {@code PUBLISH} reaches every node), so this is the sum over all nodes.
	 * @param channel the channel
	 * @return the subscriptions to it
	 */
	long subscribers(String channel) {
		long subscribers = 0;
		for (RedisServer node : nodes()) {
			Object reply = node.command("PUBSUB", "NUMSUB", channel);
			// [channel, count]
			if (reply instanceof List<?> list && list.size() == 2 && list.get(1) instanceof Long count) {
				subscribers += count;
			}
			else {
				throw new IllegalStateException("PUBSUB NUMSUB on " + node + " answered " + reply);
			}
		}
		return subscribers;
	}

	/**
	 * Start one instance of {@link RedisBenchmarkApplication} on this Redis.
	 * @param args further properties, as for {@link RedisBenchmarkApplication#start(List, String...)}
	 * @return the running instance
	 */
	ConfigurableApplicationContext startInstance(String... args) {
		return RedisBenchmarkApplication.start(properties(), args);
	}

	/**
	 * Return the properties that point an application at this Redis.
	 * @return the properties, as {@code --name=value}
	 */
	List<String> properties() {
		if (this.cluster == null) {
			return List.of("--spring.data.redis.host=" + RedisServer.HOST,
					"--spring.data.redis.port=" + server().port());
		}
		return List.of("--spring.data.redis.cluster.nodes=" + String.join(",", this.cluster.addresses()),
				"--spring.data.redis.lettuce.cluster.refresh.period=" + REFRESH_TEXT,
				"--spring.data.redis.lettuce.cluster.refresh.adaptive=true");
	}

	/**
	 * Open a raw Lettuce connection of its own to this Redis, closed by {@link #close()}.
	 * @param codec the codec
	 * @return its synchronous commands: on a cluster, each routed to its key's primary
	 */
	<K, V> RedisClusterCommands<K, V> lettuce(RedisCodec<K, V> codec) {
		if (this.cluster == null) {
			RedisClient client = RedisClient.create(RedisURI.create(RedisServer.HOST, server().port()));
			this.clients.add(client);
			StatefulRedisConnection<K, V> connection = client.connect(codec);
			this.connections.add(connection);
			return connection.sync();
		}
		List<RedisURI> uris = new ArrayList<>();
		for (RedisServer node : this.cluster.nodes()) {
			uris.add(RedisURI.create(RedisServer.HOST, node.port()));
		}
		RedisClusterClient client = RedisClusterClient.create(uris);
		this.clients.add(client);
		client.setOptions(ClusterClientOptions.builder()
			.topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
				.enablePeriodicRefresh(REFRESH)
				.enableAllAdaptiveRefreshTriggers()
				.build())
			.build());
		StatefulRedisClusterConnection<K, V> connection = client.connect(codec);
		this.connections.add(connection);
		return connection.sync();
	}

	/**
	 * Return the Redis key of an entry of a cache, as the tier names it
	 * ({@link RedisKeyLayout}): in its key's bucket, under the cache's current generation
	 * (the field {@code g} of its meta hash, 0 before any clear). The one place where the
	 * benchmarks ask Redis for the tier's generation.
	 * @param redis a connection with a {@code String} codec
	 * @param cache the cache name
	 * @param key the key
	 * @return the entry's Redis key
	 */
	static String entryKey(RedisClusterCommands<String, String> redis, String cache, Object key) {
		String generation = redis.hget(meta(cache), "g");
		return RedisKeyLayout.entry(PREFIX, cache, (generation != null) ? Long.parseLong(generation) : 0,
				StableKeys.encode(key));
	}

	/**
	 * Return the Redis key of a cache's meta hash ({@link RedisKeyLayout#meta}).
	 * @param cache the cache name
	 * @return the key
	 */
	static String meta(String cache) {
		return RedisKeyLayout.meta(PREFIX, cache);
	}

	/**
	 * Close the raw connections, then stop every node and delete its directory.
	 */
	@Override
	public void close() {
		try {
			for (StatefulConnection<?, ?> connection : this.connections) {
				connection.close();
			}
			for (AbstractRedisClient client : this.clients) {
				client.shutdown();
			}
		}
		finally {
			if (this.cluster != null) {
				this.cluster.close();
			}
			if (this.server != null) {
				this.server.close();
			}
		}
	}

	private static String ports(List<RedisServer> nodes) {
		List<String> ports = new ArrayList<>();
		for (RedisServer node : nodes) {
			ports.add(String.valueOf(node.port()));
		}
		return String.join(" ", ports);
	}

	private RedisServer server() {
		if (this.server == null) {
			throw new IllegalStateException("Not a single redis-server");
		}
		return this.server;
	}

}
