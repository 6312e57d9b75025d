package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.util.backoff.FixedBackOff;

import dev.cached.engine.Durations;

/**
 * The events the instances send each other on one channel ({@code <prefix>events}): the
 * subscription to it, the messages' form, what a received message does, and the callers
 * of this instance that wait for news of a key.
 * <p>
 * A message is a text line per field: its type, the sending instance's id, the cache's
 * version that the message made ({@code -} for a lease's end, which changes none;
 * followed by {@code /} and the version of the key's bucket for an invalidation or a put
 * whose bucket answered), the cache name and, but for a clear, the key in its stable form. The types: {@code i} (a key
 * was invalidated or put), {@code c} (a cache was cleared), {@code l} (a lease ended: a
 * value was written or a load gave up). The scripts that raise a cache's version publish
 * its message in the same step, so the messages of a cache come in version order; the
 * receiver follows each cache's versions ({@link RedisVersions}) and treats a missing one
 * as an invalidation of the whole cache. An instance applies the invalidations and clears
 * of the others, and any message about a key wakes this instance's callers that wait for
 * news of it ({@link RedisWaiters#waiter}), its own messages included.
 * <p>
 * <b>The subscription</b> is made on the subscriber thread when the tier starts, and made
 * again every {@code retry-after} as long as none holds (Redis down at startup, a
 * subscription that failed while it was made): Spring's container itself only recovers a
 * subscription it once had. A subscription made again after one was lost invalidates
 * every cache locally, loads running at that moment included, since messages sent
 * meanwhile were missed; each subscription made is told to the tier (its outage breaker
 * and its start wait for one). On a Redis Cluster, a {@link RedisHeartbeat} checks that it
 * delivers: its node may stop answering while the commands, which go to other nodes, all
 * succeed.
 * <p>
 * <b>Callers and threads.</b> The tier starts and stops it (under the tier's lock); the
 * per-cache operations ({@link RedisRemoteCache}) make messages and register waiters on
 * the application's threads; messages are received on the listening thread of the
 * container (the tier's {@code cached-redis-events} thread, one, so that messages are
 * applied one at a time in the order they came, on a bounded number of threads however
 * many arrive at once), which applies them to the local stores and completes the
 * waiters' futures there. Applying an invalidation costs the same whatever the size of
 * the local store ({@link RedisWriter#invalidatedElsewhere}). The log lines go to the category of
 * {@link RedisTier}, as they always have.
 */
final class RedisEvents {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	private final RedisConnectionFactory connectionFactory;

	private final RedisTierSettings settings;

	/** Identifies this instance in the messages it sends, so that it ignores its own. */
	private final String instanceId = UUID.randomUUID().toString();

	/** The tier's caches by name: written by the tier as caches attach, read here per message. */
	private final Map<String, RedisRemoteCache> caches;

	/** Follows every cache's version: gaps, periodic checks, repairs. */
	private final RedisVersions versions;

	/** On a Redis Cluster, checks that the subscription delivers; else {@code null}. */
	private final @Nullable RedisHeartbeat heartbeat;
	/**
	 * Told on a listening thread each time a subscription is made: {@code true} if one was
	 * made before (messages sent meanwhile may have been missed); the tier's.
	 */
	private final Consumer<Boolean> subscribedHook;

	/** Makes (and remakes) the subscription, whose start may block up to seconds; the tier's. */
	private final ScheduledExecutorService subscriber;

	/** Runs the subscription containers' listening tasks; the tier's. */
	private final ExecutorService listening;

	/** Callers waiting for another instance's lease on a key, woken by its messages. */
	private final RedisWaiters waiters = new RedisWaiters();

	/** How many times a subscription was made: counted on the listening threads. */
	private final AtomicInteger subscriptions = new AtomicInteger();

	/**
	 * The current container: written on the subscriber thread (each attempt makes a new
	 * one) and by {@link #stop()}; read by both.
	 */
	private volatile @Nullable RedisMessageListenerContainer container;

	/** Whether a subscription holds: written on the listening threads, read by anyone. */
	private volatile boolean subscribed;

	/** Whether a failed attempt was logged: written and read on the subscriber thread. */
	private volatile boolean subscriptionWarned;

	/** Whether to keep a subscription: written by start and stop, read on the subscriber thread. */
	private volatile boolean running;

	/** The attempts' schedule: written and read by start and stop, under the tier's lock. */
	private @Nullable ScheduledFuture<?> subscribing;

	/**
	 * Create the events of a tier; nothing is subscribed until {@link #start()}.
	 * @param connectionFactory the application's connection factory
	 * @param connection the tier's connection, for the checks of the caches' versions
	 * @param settings the tier's settings
	 * @param caches the tier's caches by name
	 * @param subscribed told each time a subscription is made, whether one was made before
	 * @param subscriber the thread that makes the subscription
	 * @param listening the threads that listen to the channel
	 */
	RedisEvents(RedisConnectionFactory connectionFactory, RedisConnection connection, RedisTierSettings settings,
			Map<String, RedisRemoteCache> caches, Consumer<Boolean> subscribed, ScheduledExecutorService subscriber,
			ExecutorService listening) {
		this.connectionFactory = connectionFactory;
		this.settings = settings;
		this.caches = caches;
		this.versions = new RedisVersions(connection, settings, caches, this::isSubscribed);
		this.subscribedHook = subscribed;
		this.subscriber = subscriber;
		this.listening = listening;
		boolean cluster = connectionFactory instanceof LettuceConnectionFactory lettuce && lettuce.isClusterAware();
		this.heartbeat = cluster ? new RedisHeartbeat(connection, settings, this.instanceId, this::isSubscribed,
				this::resubscribe, subscriber) : null;
	}

	/**
	 * Subscribe now in the background, and again as long as no subscription holds. Never
	 * blocks on Redis and never fails.
	 */
	void start() {
		this.running = true;
		this.versions.start();
		long retry = Math.max(1, this.settings.retryAfter().toMillis());
		this.subscribing = this.subscriber.scheduleWithFixedDelay(this::ensureSubscribed, 0, retry,
				TimeUnit.MILLISECONDS);
		if (this.heartbeat != null) {
			this.heartbeat.start();
		}
	}

	/**
	 * Stop subscribing, and end the subscription.
	 */
	void stop() {
		this.running = false;
		this.versions.stop();
		if (this.heartbeat != null) {
			this.heartbeat.stop();
		}
		ScheduledFuture<?> subscribing = this.subscribing;
		if (subscribing != null) {
			subscribing.cancel(false);
		}
		RedisMessageListenerContainer container = this.container;
		this.container = null;
		if (container != null) {
			destroyQuietly(container);
		}
	}

	/**
	 * Make the subscription again, on the subscriber thread, whether or not one holds: after
	 * a lost connection, the one Lettuce may have made again cannot be told from one that
	 * missed messages.
	 */
	void resubscribe() {
		if (!this.running) {
			return;
		}
		this.subscribed = false;
		try {
			this.subscriber.execute(this::ensureSubscribed);
		}
		catch (RuntimeException ex) {
			// the tier was destroyed
		}
	}

	/**
	 * Whether this instance listens to the others now.
	 * @return whether a subscription holds (Lettuce says nothing when its connection drops)
	 */
	boolean isSubscribed() {
		return this.subscribed;
	}

	RedisVersions versions() {
		return this.versions;
	}

	/**
	 * Return a message of this instance that changes no version (a lease's end).
	 * @param type {@code l}
	 * @param cache the cache's name
	 * @param key the key in its stable form
	 * @return the message
	 */
	byte[] message(char type, String cache, @Nullable String key) {
		return RedisConnection.bytes(type + "\n" + this.instanceId + "\n-" + tailText(cache, key));
	}

	/**
	 * Return what precedes the version in a message of this instance: the script that
	 * makes the version publishes {@code head .. v .. tail}.
	 * @param type {@code i} or {@code c}
	 * @return the head
	 */
	byte[] head(char type) {
		return RedisConnection.bytes(type + "\n" + this.instanceId + "\n");
	}

	/**
	 * Return what follows the version in a message: for an invalidation or a put whose
	 * bucket answered, {@code /<bucket version>}; then the cache's name and the key.
	 * @param cache the cache's name
	 * @param key the key in its stable form, or {@code null} for a clear
	 * @param bucketVersion the version the key's bucket was raised to, or {@code null}
	 * @return the tail
	 */
	byte[] tail(String cache, @Nullable String key, @Nullable Long bucketVersion) {
		return RedisConnection.bytes(((bucketVersion != null) ? "/" + bucketVersion : "") + tailText(cache, key));
	}

	private static String tailText(String cache, @Nullable String key) {
		return "\n" + cache + ((key != null) ? "\n" + key : "");
	}

	/** The callers waiting for news of a key ({@link RedisWaiters}). */
	RedisWaiters waiters() {
		return this.waiters;
	}

	// the subscription

	private void ensureSubscribed() {
		if (!this.running || this.subscribed) {
			return;
		}
		RedisMessageListenerContainer previous = this.container;
		if (previous != null) {
			destroyQuietly(previous);
		}
		RedisMessageListenerContainer container = new RedisMessageListenerContainer();
		container.setConnectionFactory(this.connectionFactory);
		container.setRecoveryBackoff(new FixedBackOff(Math.max(100, this.settings.retryAfter().toMillis())));
		container.setTaskExecutor(this.listening);
		container.addMessageListener(new Listener(), new ChannelTopic(this.settings.channel()));
		container.afterPropertiesSet();
		this.container = container;
		try {
			container.start();
		}
		catch (RuntimeException ex) {
			if (!this.subscriptionWarned) {
				this.subscriptionWarned = true;
				logger.warn("Not listening to the other instances' invalidations on " + this.settings.channel() + " yet ("
						+ ex.getMessage() + "); trying again every " + Durations.format(this.settings.retryAfter())
						+ "; logged once");
			}
		}
		if (!this.running) {
			destroyQuietly(container);
		}
	}

	private static void destroyQuietly(RedisMessageListenerContainer container) {
		try {
			container.destroy();
		}
		catch (Exception ex) {
			logger.debug("Stopping a Redis listener failed", ex);
		}
	}

	// received messages

	private void received(byte[] body) {
		String text = new String(body, StandardCharsets.UTF_8);
		String[] parts = text.split("\n", 5);
		if (this.heartbeat != null && this.heartbeat.received(parts)) {
			return;
		}
		if (parts.length < 4 || parts[0].length() != 1) {
			return;
		}
		char type = parts[0].charAt(0);
		boolean own = this.instanceId.equals(parts[1]);
		RedisRemoteCache cache = this.caches.get(parts[3]);
		String key = (parts.length == 5) ? parts[4] : null;
		if (cache == null) {
			return;
		}
		if (key != null) {
			this.waiters.wake(cache.entryKey(key));
		}
		else if (type == 'c') {
			// a clear moved the cache to a new generation: no lease of the old one will end with news
			this.waiters.wakeAll(cache.entries().base());
		}
		String version = parts[2];
		int slash = version.indexOf('/');
		if (slash >= 0) {
			if (key != null) {
				// the version the key's bucket was raised to: Redis holds at least that one
				cache.entries()
					.buckets()
					.saw(RedisKeyLayout.bucket(key), Long.parseLong(version.substring(slash + 1)));
			}
			version = version.substring(0, slash);
		}
		if (!own) {
			if (type == 'i' && key != null) {
				cache.invalidatedElsewhere(key);
			}
			else if (type == 'c') {
				// a clear or a repair may have moved the cache to a new generation
				cache.entries().buckets().forget();
				cache.clearedElsewhere();
			}
		}
		if (type != 'l') {
			// applied first: a gap found now covers this message too
			this.versions.received(cache, Long.parseLong(version));
		}
	}

	private final class Listener implements MessageListener, SubscriptionListener {

		@Override
		public void onMessage(Message message, byte @Nullable [] pattern) {
			try {
				received(message.getBody());
			}
			catch (RuntimeException ex) {
				logger.debug("Ignored a message on " + RedisEvents.this.settings.channel(), ex);
			}
		}

		@Override
		public void onChannelSubscribed(byte[] channel, long count) {
			RedisEvents.this.subscribed = true;
			boolean again = RedisEvents.this.subscriptions.getAndIncrement() > 0;
			if (again) {
				// subscribed again after a lost connection: invalidations sent meanwhile were missed,
				// and a load running now may have read what one of them invalidated
				RedisEvents.this.versions.resubscribed();
				logger.info("Listening to " + RedisEvents.this.settings.channel()
						+ " again; the local stores were cleared, loads running now included, since invalidations "
						+ "sent meanwhile were missed");
			}
			RedisEvents.this.subscribedHook.accept(again);
			// where this cache's messages start: checked now rather than at the next period
			RedisEvents.this.versions.checkSoon();
		}

		@Override
		public void onChannelUnsubscribed(byte[] channel, long count) {
			RedisEvents.this.subscribed = false;
		}

	}

}
