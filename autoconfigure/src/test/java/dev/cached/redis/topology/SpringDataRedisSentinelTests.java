package dev.cached.redis.topology;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.cached.testing.redis.RedisSentinelSetup;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Data Redis (Lettuce) on a real Sentinel setup started by
 * {@link RedisSentinelSetup} (a primary, a replica, three sentinels): it reads and writes
 * through the primary the sentinels name, its classic pub/sub subscription receives, and
 * both come back after the primary is killed with {@code SIGKILL} and the replica is
 * promoted. The time to recover is printed ({@code SpringDataRedisSentinelTests:} lines).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpringDataRedisSentinelTests {

	private static final Duration RECOVERY_BOUND = Duration.ofSeconds(15);

	private static RedisSentinelSetup sentinel;

	private static LettuceConnectionFactory factory;

	private static StringRedisTemplate template;

	private static Subscriber subscriber;

	@BeforeAll
	static void start() throws InterruptedException {
		sentinel = RedisSentinelSetup.start();
		RedisSentinelConfiguration configuration = new RedisSentinelConfiguration().master(sentinel.masterName());
		for (RedisServer each : sentinel.sentinels()) {
			configuration.sentinel(new RedisNode(each.host(), each.port()));
		}
		factory = new LettuceConnectionFactory(configuration, clientConfiguration());
		factory.afterPropertiesSet();
		factory.start();
		template = new StringRedisTemplate(factory);
		subscriber = new Subscriber(factory);
	}

	/** Commands that fail after a second instead of a minute; a short connect timeout. */
	static LettuceClientConfiguration clientConfiguration() {
		ClientOptions options = ClientOptions.builder()
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
		if (sentinel != null) {
			sentinel.close();
		}
	}

	@Test
	@Order(1)
	void readsAndWritesThroughThePrimaryTheSentinelsName() {
		template.opsForValue().set("through-sentinel", "v");
		assertThat(template.opsForValue().get("through-sentinel")).isEqualTo("v");
		assertThat(sentinel.primary().command("GET", "through-sentinel")).isEqualTo("v");
	}

	@Test
	@Order(2)
	void receivesWhatIsPublished() {
		String message = subscriber.publish(template);
		await().until(() -> subscriber.received(message));
	}

	@Test
	@Order(3)
	void followsTheFailoverAfterThePrimaryIsKilled() {
		RedisServer primary = sentinel.primary();
		RedisServer replica = sentinel.replicas().get(0);
		assertThat(Subscriber.holdsSubscription(primary)).isTrue();
		AtomicLong counter = new AtomicLong();
		try (Probe probe = new Probe("sentinel-writer", () -> {
			String value = Long.toString(counter.incrementAndGet());
			template.opsForValue().set("written", value);
			if (!value.equals(template.opsForValue().get("written"))) {
				throw new IllegalStateException("read another value than written");
			}
		}, Duration.ofMillis(5))) {
			await().until(() -> probe.successes() > 5);
			long fault = System.nanoTime();
			primary.kill();
			Duration failover = sentinel.awaitFailover(primary);
			Duration failoverFromFault = Duration.ofNanos(System.nanoTime() - fault);
			probe.awaitServedSince(fault + failoverFromFault.toNanos(), RECOVERY_BOUND);
			Duration served = Duration.ofNanos(System.nanoTime() - fault);
			Duration pubSub = subscriber.awaitResumed(template, fault, RECOVERY_BOUND);
			System.out.println("SpringDataRedisSentinelTests: kill -9 of the primary: a new primary after "
					+ failoverFromFault.toMillis() + " ms; writes failed for " + probe.failingFor(fault).toMillis()
					+ " ms (" + probe.failures() + " of " + (probe.failures() + probe.successes())
					+ " calls failed), served again within " + served.toMillis()
					+ " ms; pub/sub received again after " + pubSub.toMillis() + " ms");
			assertThat(sentinel.primary()).isSameAs(replica);
			assertThat(failover).isPositive();
			assertThat(Subscriber.holdsSubscription(replica)).isTrue();
		}
	}

}
