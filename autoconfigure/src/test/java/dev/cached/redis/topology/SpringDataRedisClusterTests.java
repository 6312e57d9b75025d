package dev.cached.redis.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Data Redis (Lettuce) on a real three-primary Redis Cluster started by
 * {@link RedisCluster}: it reads and writes keys of every slot, classic pub/sub reaches its
 * subscription whichever node a message is published on, and both survive a replica
 * promoted by hand ({@code CLUSTER FAILOVER}) and a primary killed with {@code SIGKILL},
 * with the topology refresh settings that make Lettuce follow a failover within seconds.
 * The time to recover is printed ({@code SpringDataRedisClusterTests:} lines).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpringDataRedisClusterTests {

	private static final Duration RECOVERY_BOUND = Duration.ofSeconds(15);

	private static RedisCluster cluster;

	private static LettuceConnectionFactory factory;

	private static StringRedisTemplate template;

	private static Subscriber subscriber;

	@BeforeAll
	static void start() throws InterruptedException {
		cluster = RedisCluster.start();
		factory = new LettuceConnectionFactory(new RedisClusterConfiguration(cluster.addresses()), clientConfiguration());
		factory.afterPropertiesSet();
		factory.start();
		template = new StringRedisTemplate(factory);
		subscriber = new Subscriber(factory);
	}

	/**
	 * What makes Lettuce follow a failover quickly: a topology refresh every second, and at
	 * once on a MOVED redirect or reconnects that fail ({@code spring.data.redis.lettuce.
	 * cluster.refresh.period=1s} and {@code .adaptive=true} in Boot's terms); commands that
	 * fail after a second instead of a minute.
	 */
	static LettuceClientConfiguration clientConfiguration() {
		ClusterTopologyRefreshOptions refresh = ClusterTopologyRefreshOptions.builder()
			.enablePeriodicRefresh(Duration.ofSeconds(1))
			.enableAllAdaptiveRefreshTriggers()
			.adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
			.refreshTriggersReconnectAttempts(2)
			.build();
		ClusterClientOptions options = ClusterClientOptions.builder()
			.topologyRefreshOptions(refresh)
			.socketOptions(SocketOptions.builder().connectTimeout(Duration.ofMillis(500)).build())
			.timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(1)))
			.build();
		return LettuceClientConfiguration.builder()
			.clientOptions(options)
			.commandTimeout(Duration.ofSeconds(1))
			.clientName(Subscriber.CLIENT_NAME)
			.build();
	}

	@AfterAll
	static void stop() throws Exception {
		if (subscriber != null) {
			subscriber.close();
		}
		if (factory != null) {
			factory.destroy();
		}
		if (cluster != null) {
			cluster.close();
		}
	}

	@Test
	@Order(1)
	void readsAndWritesKeysOnEveryPrimary() {
		for (int i = 0; i < 300; i++) {
			template.opsForValue().set("key-" + i, "value-" + i);
		}
		for (int i = 0; i < 300; i++) {
			assertThat(template.opsForValue().get("key-" + i)).isEqualTo("value-" + i);
		}
		for (RedisServer primary : cluster.primaries()) {
			assertThat((Long) primary.command("DBSIZE")).as("keys on %s", primary).isPositive();
		}
	}

	@Test
	@Order(2)
	void receivesWhatIsPublishedOnAnyNode() {
		List<String> messages = new ArrayList<>();
		for (RedisServer node : cluster.nodes()) {
			String message = "published-on-" + node.port();
			assertThat(node.command("PUBLISH", Subscriber.CHANNEL, message)).isInstanceOf(Long.class);
			messages.add(message);
		}
		await().untilAsserted(() -> assertThat(messages).allMatch(subscriber::received));
	}

	@Test
	@Order(3)
	void followsAReplicaPromotedByHand() {
		String key = "promoted-by-hand";
		RedisServer primary = cluster.nodeFor(key);
		RedisServer replica = cluster.replicaOf(primary);
		try (Probe probe = writer(key)) {
			await().until(() -> probe.successes() > 5);
			long fault = System.nanoTime();
			Duration failover = cluster.failover(replica);
			probe.awaitServedSince(fault + failover.toNanos(), RECOVERY_BOUND);
			Duration pubSub = subscriber.awaitResumed(template, fault, RECOVERY_BOUND);
			report("CLUSTER FAILOVER", failover, probe, fault, pubSub);
			assertThat(cluster.nodeFor(key)).isSameAs(replica);
		}
	}

	@Test
	@Order(4)
	void followsAFailoverAfterAPrimaryIsKilled() {
		// the primary that holds the subscription, if one does: the hardest case for pub/sub
		RedisServer victim = subscriptionHolder();
		String where = (victim != null) ? "the primary holding the subscription" : "a primary";
		if (victim == null) {
			victim = cluster.primaries().get(0);
		}
		String key = keyServedBy(victim);
		RedisServer replica = cluster.replicaOf(victim);
		try (Probe probe = writer(key)) {
			await().until(() -> probe.successes() > 5);
			long fault = System.nanoTime();
			victim.kill();
			Duration failover = cluster.awaitFailover(replica).plusNanos(0);
			Duration failoverFromFault = Duration.ofNanos(System.nanoTime() - fault);
			probe.awaitServedSince(fault + failoverFromFault.toNanos(), RECOVERY_BOUND);
			Duration pubSub = subscriber.awaitResumed(template, fault, RECOVERY_BOUND);
			report("kill -9 of " + where, failoverFromFault, probe, fault, pubSub);
			assertThat(cluster.nodeFor(key)).isSameAs(replica);
			assertThat(failover).isPositive();
		}
	}

	private static Probe writer(String key) {
		AtomicLong counter = new AtomicLong();
		return new Probe("cluster-writer", () -> {
			String value = Long.toString(counter.incrementAndGet());
			template.opsForValue().set(key, value);
			if (!value.equals(template.opsForValue().get(key))) {
				throw new IllegalStateException("read another value than written");
			}
		}, Duration.ofMillis(5));
	}

	private static void report(String fault, Duration failover, Probe probe, long faultNanos, Duration pubSub) {
		System.out.println("SpringDataRedisClusterTests: " + fault + ": cluster ready after " + failover.toMillis()
				+ " ms; writes failed for " + probe.failingFor(faultNanos).toMillis() + " ms (" + probe.failures()
				+ " of " + (probe.failures() + probe.successes()) + " calls failed"
				+ (probe.failures() > 0 ? ": " + probe.errors() : "") + "); pub/sub received again after "
				+ pubSub.toMillis() + " ms");
	}

	/** The primary whose clients include a subscriber, if any ({@code CLIENT LIST}). */
	private static RedisServer subscriptionHolder() {
		for (RedisServer node : cluster.nodes()) {
			if (node.isRunning() && Subscriber.holdsSubscription(node)) {
				System.out.println("SpringDataRedisClusterTests: the subscription is on " + node + " ("
						+ (cluster.primaries().contains(node) ? "a primary" : "a replica") + ")");
				return cluster.primaries().contains(node) ? node : null;
			}
		}
		return null;
	}

	private static String keyServedBy(RedisServer primary) {
		for (int i = 0;; i++) {
			String key = "killed-" + i;
			if (cluster.nodeFor(key) == primary) {
				return key;
			}
		}
	}

}
