package dev.cached.redis;

import java.lang.reflect.Method;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import dev.cached.engine.CachedCache;
import dev.cached.engine.Durations;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteTier;

/**
 * The Redis tier: every cache is attached to it; remote caches keep their values in Redis.
 * It wires the parts that do the work, one per job, and owns their threads:
 * <ul>
 * <li>{@link RedisConnection}: every Redis command goes through it, bounded by
 * {@code cached.redis.timeout}, on the connection that {@link RedisConnector} opens, and
 * through the outage breaker, {@link RedisBreaker};</li>
 * <li>{@link RedisEvents}: the subscription to the channel the instances share, the
 * messages on it and the callers waiting for news of a key;</li>
 * <li>{@link RedisLeases}: the leases this instance holds and their renewal;</li>
 * <li>{@link RedisOutbox}: the writes Redis has not taken yet, sent in order, and the end
 * of an outage;</li>
 * <li>{@link RedisRemoteCache}: one cache's operations, made by {@link #attach}.</li>
 * </ul>
 * The engine calls the tier through {@link RemoteTier} while the application starts
 * ({@link #attach}) and for the actuator ({@link #status()}); Spring starts
 * and stops it as a {@link SmartLifecycle} (after the connection factory starts, before it
 * stops) and destroys it as a bean. It opens its connection and subscribes from its
 * creation on, in the background; starting waits for both ({@link #start()}), and never
 * fails.
 * <p>
 * Threads, each a daemon: {@code cached-redis} (lease renewal), {@code cached-redis-outbox}
 * (the writes kept, and the probes and end of an outage), {@code cached-redis-timeout} (the timeouts of
 * asynchronous commands), {@code cached-redis-connect} (opening the connection),
 * {@code cached-redis-subscribe} (making the subscription) and
 * {@code cached-redis-events} (listening to the channel and applying its messages, one at
 * a time).
 */
public final class RedisTier implements RemoteTier, SmartLifecycle, DisposableBean {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	/** The application's mapper, made strict once: read by {@link #attach}. */
	private final JsonMapper mapper;

	private final RedisTierSettings settings;

	/** The attached caches by name: written while the application starts, read by anyone. */
	private final Map<String, RedisRemoteCache> caches = new ConcurrentHashMap<>();

	/** Renews leases. */
	private final ScheduledExecutorService scheduler;

	/** Ends asynchronous commands at their timeout, and nothing else, so that it is never late. */
	private final ScheduledThreadPoolExecutor timer;

	/** Opens the connection, which may block longer than a call may take. */
	private final ExecutorService opener;

	/** Makes (and remakes) the subscription; its start may block up to seconds. */
	private final ScheduledExecutorService subscriber;

	/** Runs the subscription containers' listening tasks: applies the messages received, one at a time. */
	private final ExecutorService listening;

	// the parts, made by the constructor; each is safe to use from any thread

	private final RedisBreaker breaker;

	private final RedisConnector connector;

	private final RedisConnection connection;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final RedisOutbox outbox;

	/** Completed by the first subscription made: the start waits for it, at most the timeout. */
	private final CompletableFuture<Void> firstSubscription = new CompletableFuture<>();

	/** When a subscription made again last invalidated every cache locally. */
	private volatile Instant invalidatedAt = Instant.MIN;

	/** Whether the subscription is kept: written by the constructor, start and stop (under this object's lock). */
	private boolean subscribing;

	/** Whether the tier is started: written by start and stop (under this object's lock). */
	private volatile boolean running;

	/**
	 * Create the tier.
	 * @param connectionFactory the application's connection factory (Lettuce)
	 * @param mapper the application's JSON mapper
	 * @param settings the settings
	 */
	public RedisTier(RedisConnectionFactory connectionFactory, JsonMapper mapper, RedisTierSettings settings) {
		this.mapper = RedisValues.strict(mapper);
		this.settings = settings;
		this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("cached-redis"));
		this.timer = new ScheduledThreadPoolExecutor(1, daemon("cached-redis-timeout"));
		// a command's timeout is cancelled where its reply arrives (Lettuce's event loop, a
		// thread that completed a method's value): removing it from the queue would take the
		// queue's lock there, so a cancelled timeout stays queued until it would have fired
		this.timer.setRemoveOnCancelPolicy(false);
		this.opener = Executors.newSingleThreadExecutor(daemon("cached-redis-connect"));
		this.subscriber = Executors.newSingleThreadScheduledExecutor(daemon("cached-redis-subscribe"));
		// one thread applies the messages, in the order they came: never a thread per message
		this.listening = Executors.newSingleThreadExecutor(daemon("cached-redis-events"));
		this.breaker = new RedisBreaker(settings, this::outageEnded);
		this.connector = new RedisConnector(connectionFactory, this.opener);
		this.connection = new RedisConnection(settings, this.connector, this.breaker, this.timer);
		this.events = new RedisEvents(connectionFactory, this.connection, settings, this.caches, this::subscribed,
				this.subscriber,
				this.listening);
		this.leases = new RedisLeases(this.connection, settings, this.scheduler);
		this.outbox = new RedisOutbox(settings, this.connection, this.breaker, this::isSubscribed,
				this.events::resubscribe, daemon("cached-redis-outbox"));
		// open the connection and subscribe in the background while the rest of the
		// application starts: a cold JVM's first connection takes longer than the timeout
		// that start() waits for it (Spring Data Redis starts its connection factory early)
		synchronized (this) {
			this.connector.connect();
			this.events.start();
			this.subscribing = true;
		}
	}

	private static ThreadFactory daemon(String name) {
		return (runnable) -> {
			Thread thread = new Thread(runnable, name);
			thread.setDaemon(true);
			return thread;
		};
	}

	/**
	 * Open the connection and subscribe, waiting for the connection (Redis' part of it at
	 * most {@code cached.redis.timeout}, the JVM's own first start of Lettuce up to a few
	 * seconds: {@link RedisConnector#awaitOpen}) and then for the subscription at most the
	 * timeout, before the application reports ready, so that its first calls read Redis
	 * like any other; start renewing leases and sending the writes kept. Never fails: when Redis
	 * is down, both are retried in the background, and the writes are kept meanwhile.
	 */
	@Override
	public synchronized void start() {
		if (this.running) {
			return;
		}
		this.running = true;
		this.leases.start();
		if (!this.subscribing) {
			this.events.start();
			this.subscribing = true;
		}
		this.connector.connect();
		this.outbox.start();
		long timeout = this.settings.timeout().toNanos();
		this.connector.awaitOpen(timeout);
		try {
			this.firstSubscription.get(timeout, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			// not subscribed yet: retried in the background
		}
		if (this.firstSubscription.isDone()) {
			// Redis answers: each remote cache's generation, so that its first call takes one
			// round trip too (with Redis down, nothing more is sent: no fault at startup)
			this.events.versions().learnGenerations(timeout);
		}
	}

	/**
	 * Stop listening, before the connection factory stops (a later phase stops earlier).
	 */
	@Override
	public synchronized void stop() {
		if (!this.running) {
			return;
		}
		this.running = false;
		this.leases.stop();
		this.events.stop();
		this.subscribing = false;
		this.outbox.stop();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		// after the connection factory (phase 0) starts, before it stops
		return 1000;
	}

	@Override
	public void destroy() {
		stop();
		synchronized (this) {
			// subscribing since the constructor, even if never started
			this.events.stop();
			this.subscribing = false;
		}
		this.scheduler.shutdownNow();
		this.timer.shutdownNow();
		this.connector.close();
		this.opener.shutdownNow();
		this.subscriber.shutdownNow();
		this.listening.shutdownNow();
	}

	// RemoteTier

	@Override
	public RemoteCache attach(CachedCache cache, Method method) {
		RedisValues values = cache.getSettings().isRemote() ? RedisValues.of(this.mapper, method) : null;
		RedisRemoteCache remote = new RedisRemoteCache(this.connection, this.events, this.leases, this.settings, cache,
				values, this.outbox);
		this.caches.put(cache.getName(), remote);
		return remote;
	}

	@Override
	public @Nullable String valueProblem(Method method) {
		String problem = RedisValues.unreadable(this.mapper, method);
		if (problem == null) {
			return null;
		}
		return "are read back from Redis as its declared type " + RedisValues.valueType(method).getTypeName()
				+ ", " + problem + "; declare a concrete return type, or annotate the type with "
				+ "@JsonTypeInfo(use = JsonTypeInfo.Id.NAME) and @JsonSubTypes";
	}

	@Override
	public Map<String, Object> status() {
		Map<String, Object> status = new LinkedHashMap<>();
		this.breaker.status(status);
		status.put("subscribed", isSubscribed());
		status.put("pending-writes", this.outbox.size());
		status.put("last-gap-repaired", this.events.versions().lastGapRepaired());
		status.put("key-prefix", this.settings.keyPrefix());
		status.put("timeout", Durations.format(this.settings.timeout()));
		return status;
	}

	/**
	 * Whether Redis is answering now, as far as this instance knows.
	 * @return {@code false} during an outage
	 */
	public boolean isUp() {
		return this.breaker.isUp();
	}

	/**
	 * Whether this instance listens to the other instances now: a subscription was made,
	 * and the connection was not lost since (Lettuce says nothing when a subscription's
	 * connection drops; it is trusted again once made again).
	 * @return whether the subscription holds
	 */
	boolean isSubscribed() {
		return this.events.isSubscribed() && !this.breaker.connectionLost();
	}

	/**
	 * Return how many writes (invalidations, clears, puts) Redis has not taken yet.
	 * @return the number kept in the outbox
	 */
	int pendingWrites() {
		return this.outbox.size();
	}

	/**
	 * A subscription was made: if one was made before, messages sent meanwhile were missed,
	 * and the local stores are cleared (with {@code clear-on-reconnect}), unless an outage
	 * is on: its end clears them, once.
	 */
	private void subscribed(boolean again) {
		if (again) {
			// the events side invalidated every cache locally, loads running now included
			this.invalidatedAt = Instant.now();
		}
		this.breaker.subscribed();
		this.firstSubscription.complete(null);
	}

	/**
	 * The end of an outage that began at {@code since} (with {@code clear-on-reconnect}):
	 * clear the local stores, unless a subscription made again during the outage has
	 * already invalidated them, so that ending an outage clears each store at most once.
	 * @return whether the stores were cleared
	 */
	private boolean outageEnded(Instant since) {
		if (this.invalidatedAt.isAfter(since)) {
			return false;
		}
		clearLocalStores();
		return true;
	}

	/**
	 * Clear the stored entries of every cache's local store: they may have missed
	 * invalidations (an outage ended, a lost subscription was made again).
	 */
	private void clearLocalStores() {
		for (RedisRemoteCache cache : this.caches.values()) {
			// the stored entries may have missed invalidations; the loads running now, such
			// as the one whose call just found Redis back, read the source after they did
			cache.cache().clearStoredLocally();
		}
	}

}
