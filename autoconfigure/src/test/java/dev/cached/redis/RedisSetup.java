package dev.cached.redis;

import java.util.List;
import java.util.function.Supplier;

import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;

/**
 * Where the {@link Instances} find Redis, and how an application is configured for it:
 * one {@code redis-server} ({@code spring.data.redis.host} and {@code .port}), a Sentinel
 * setup ({@code spring.data.redis.sentinel.*}) or a Redis Cluster
 * ({@code spring.data.redis.cluster.nodes} and the Lettuce topology refresh that
 * {@code docs/many-instances.md} recommends). The arguments are made when asked, so that a
 * server started later (a test class's own) is found on its port.
 */
final class RedisSetup {

	private final Supplier<List<String>> arguments;

	/** The server a test talks to: the one Redis, the primary of the moment, a cluster's first node. */
	private final Supplier<RedisServer> redis;

	/** Every server that may hold a subscription to the channel. */
	private final Supplier<List<RedisServer>> nodes;

	private RedisSetup(Supplier<List<String>> arguments, Supplier<RedisServer> redis,
			Supplier<List<RedisServer>> nodes) {
		this.arguments = arguments;
		this.redis = redis;
		this.nodes = nodes;
	}

	static RedisSetup of(RedisServer redis) {
		return new RedisSetup(
				() -> List.of("--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port()),
				() -> redis, () -> List.of(redis));
	}

	static RedisSetup of(RedisSentinelSetup sentinel) {
		return new RedisSetup(
				() -> List.of("--spring.data.redis.sentinel.master=" + sentinel.masterName(),
						"--spring.data.redis.sentinel.nodes=" + String.join(",", sentinel.sentinelAddresses())),
				sentinel::primary, () -> List.of(sentinel.primary()));
	}

	static RedisSetup of(RedisCluster cluster) {
		return new RedisSetup(
				() -> List.of("--spring.data.redis.cluster.nodes=" + String.join(",", cluster.addresses()),
						"--spring.data.redis.lettuce.cluster.refresh.adaptive=true",
						"--spring.data.redis.lettuce.cluster.refresh.period=1s", "--spring.data.redis.timeout=1s"),
				() -> cluster.nodes().get(0), cluster::nodes);
	}

	/** The application's arguments that point it at this Redis. */
	List<String> arguments() {
		return this.arguments.get();
	}

	RedisServer redis() {
		return this.redis.get();
	}

	/**
	 * Return how many subscribers a channel has: on a cluster, the sum over the nodes that
	 * answer (each node counts only the subscriptions made on it).
	 * @param channel the channel
	 * @return the subscribers
	 */
	long subscribers(String channel) {
		long count = 0;
		for (RedisServer node : this.nodes.get()) {
			if (node.isRunning() && !node.isPaused()) {
				count += (Long) ((List<?>) node.command("PUBSUB", "NUMSUB", channel)).get(1);
			}
		}
		return count;
	}

}
