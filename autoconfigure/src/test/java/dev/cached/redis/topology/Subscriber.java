package dev.cached.redis.topology;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A classic pub/sub subscription through Spring's {@link RedisMessageListenerContainer}, as
 * the tier makes one: what it received and when; and a check that it receives what is
 * published now.
 */
final class Subscriber implements AutoCloseable, MessageListener {

	static final String CHANNEL = "topology-events";

	/** The name the tests' clients give their connections ({@code CLIENT SETNAME}). */
	static final String CLIENT_NAME = "topology-tests";

	private final RedisMessageListenerContainer container = new RedisMessageListenerContainer();

	private final Map<String, Long> received = new ConcurrentHashMap<>();

	private final AtomicInteger sent = new AtomicInteger();

	Subscriber(RedisConnectionFactory factory) throws InterruptedException {
		CountDownLatch subscribed = new CountDownLatch(1);
		this.container.setConnectionFactory(factory);
		this.container.addMessageListener(this, new ChannelTopic(CHANNEL));
		this.container.afterPropertiesSet();
		this.container.start();
		// the container subscribes asynchronously: a message it receives proves the subscription
		this.container.addMessageListener((message, pattern) -> subscribed.countDown(), new ChannelTopic(CHANNEL));
		await().until(() -> {
			publish(new StringRedisTemplate(factory));
			return subscribed.await(50, TimeUnit.MILLISECONDS);
		});
	}

	@Override
	public void onMessage(Message message, byte[] pattern) {
		this.received.put(new String(message.getBody(), StandardCharsets.UTF_8), System.nanoTime());
	}

	boolean received(String message) {
		return this.received.containsKey(message);
	}

	/** Publish a message of a new name; a failure to publish counts as not sent. */
	String publish(StringRedisTemplate template) {
		String message = "m-" + this.sent.incrementAndGet();
		try {
			template.convertAndSend(CHANNEL, message);
		}
		catch (RuntimeException ex) {
			// Redis is failing over: the next poll publishes another
		}
		return message;
	}

	/**
	 * Publish a message every 50 ms until one published after {@code faultNanos} is
	 * received; return how long after the fault it was received.
	 */
	Duration awaitResumed(StringRedisTemplate template, long faultNanos, Duration atMost) {
		String[] last = new String[1];
		await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
			if (last[0] != null && received(last[0])) {
				return true;
			}
			last[0] = publish(template);
			return false;
		});
		long at = this.received.get(last[0]);
		assertThat(at - faultNanos).isPositive();
		return Duration.ofNanos(at - faultNanos);
	}

	/**
	 * Whether a server has a subscribed connection of the tests' clients
	 * ({@code CLIENT LIST}: the sentinels' own subscriptions do not count).
	 */
	static boolean holdsSubscription(RedisServer server) {
		for (String client : String.valueOf(server.command("CLIENT", "LIST")).split("\n")) {
			if (client.contains(" name=" + CLIENT_NAME + " ") && !client.contains(" sub=0 ")) {
				return true;
			}
		}
		return false;
	}

	@Override
	public void close() throws Exception {
		this.container.stop();
		this.container.destroy();
	}

}
