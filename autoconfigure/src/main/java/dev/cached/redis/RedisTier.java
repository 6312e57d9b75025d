package dev.cached.redis;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.connection.lettuce.LettuceConnection;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.util.backoff.FixedBackOff;

import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteTier;

/**
 * The Redis tier: every cache is attached to it; remote caches keep their values in Redis.
 * <p>
 * Every call goes through {@link #call}: Lettuce's asynchronous API on the application's
 * connection factory (its shared connection), each call bounded by
 * {@code cached.redis.timeout} whatever Lettuce's own timeout is. A failed or late call
 * starts an outage: it is logged once, counted in the cache's {@code cache.remote.errors},
 * and for {@code retry-after} no call reaches Redis (callers go local at once). The first
 * call that succeeds after that ends the outage; with {@code clear-on-reconnect} the local
 * stores of every cache are cleared then, since invalidations sent meanwhile were lost.
 * <p>
 * One channel ({@code <prefix>events}) carries, as text lines: {@code i} (a key was
 * invalidated), {@code c} (a cache was cleared), {@code l} (a lease ended: a value was
 * written or a load gave up), each with the sending instance's id, the cache name and the
 * key in its stable form. An instance applies the invalidations of the others and wakes
 * its own callers that wait for a lease.
 */
public final class RedisTier implements RemoteTier, SmartLifecycle, DisposableBean {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	private static final long STARTUP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

	private final RedisConnectionFactory connectionFactory;

	private final JsonMapper mapper;

	private final RedisTierSettings settings;

	private final long timeoutNanos;

	/** Identifies this instance in the messages it sends, so that it ignores its own. */
	private final String instanceId = java.util.UUID.randomUUID().toString();

	private final Map<String, RedisRemoteCache> caches = new ConcurrentHashMap<>();

	/** Callers waiting for another instance's lease on a key, by the key's Redis name. */
	private final Map<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();

	/** The leases this instance holds, by lease key: renewed until released. */
	private final Map<String, byte[]> leases = new ConcurrentHashMap<>();

	private final ScheduledExecutorService scheduler;

	/** Opens the connection, which may block longer than a call may take. */
	private final ExecutorService connector;

	private final AtomicReference<@Nullable Future<RedisClusterAsyncCommands<byte[], byte[]>>> connecting = new AtomicReference<>();

	private volatile @Nullable RedisClusterAsyncCommands<byte[], byte[]> commands;

	private volatile @Nullable RedisMessageListenerContainer container;

	/** Nanotime until which no call reaches Redis; 0 when Redis is up. */
	private volatile long quietUntil;

	/** When the current outage began, or {@code null} while Redis is up. */
	private volatile @Nullable Instant downSince;

	private volatile @Nullable String lastError;

	private final AtomicInteger subscriptions = new AtomicInteger();

	private volatile boolean subscribed;

	private volatile boolean subscriptionWarned;

	/** Makes (and remakes) the subscription; its start may block up to seconds. */
	private final ScheduledExecutorService subscriber;

	/** Runs the subscription containers' listening tasks. */
	private final ExecutorService events;

	private @Nullable ScheduledFuture<?> subscribing;

	private @Nullable ScheduledFuture<?> renewal;

	private volatile boolean running;

	/** When the first connection attempt began (its first seconds are no outage). */
	private volatile long openingSince;

	/**
	 * Create the tier.
	 * @param connectionFactory the application's connection factory (Lettuce)
	 * @param mapper the application's JSON mapper
	 * @param settings the settings
	 */
	public RedisTier(RedisConnectionFactory connectionFactory, JsonMapper mapper, RedisTierSettings settings) {
		this.connectionFactory = connectionFactory;
		this.mapper = RedisValues.strict(mapper);
		this.settings = settings;
		this.timeoutNanos = settings.timeout().toNanos();
		this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("cached-redis"));
		this.connector = Executors.newSingleThreadExecutor(daemon("cached-redis-connect"));
		this.subscriber = Executors.newSingleThreadScheduledExecutor(daemon("cached-redis-subscribe"));
		this.events = Executors.newCachedThreadPool(daemon("cached-redis-events"));
	}

	private static ThreadFactory daemon(String name) {
		return (runnable) -> {
			Thread thread = new Thread(runnable, name);
			thread.setDaemon(true);
			return thread;
		};
	}

	/**
	 * Start listening to the other instances and renewing leases. Never blocks on Redis and
	 * never fails: when Redis is down, the subscription is retried in the background.
	 */
	@Override
	public synchronized void start() {
		if (this.running) {
			return;
		}
		this.running = true;
		long renewEvery = Math.max(1, this.settings.leaseTime().toMillis() / 3);
		this.renewal = this.scheduler.scheduleWithFixedDelay(this::renewLeases, renewEvery, renewEvery,
				TimeUnit.MILLISECONDS);
		// subscribed here, and again as long as no subscription holds (Redis down at startup,
		// a subscription that failed while it was made): the container itself only recovers
		// a subscription it once had
		long retry = Math.max(1, this.settings.retryAfter().toMillis());
		this.subscribing = this.subscriber.scheduleWithFixedDelay(this::ensureSubscribed, 0, retry,
				TimeUnit.MILLISECONDS);
		// open the connection now, so that the first calls need not wait for it
		this.openingSince = System.nanoTime();
		this.connecting.compareAndSet(null, this.connector.submit(this::open));
	}

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
		container.setTaskExecutor(this.events);
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
						+ ex.getMessage() + "); trying again every "
						+ dev.cached.engine.Durations.format(this.settings.retryAfter()) + "; logged once");
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

	/**
	 * Stop listening, before the connection factory stops (a later phase stops earlier).
	 */
	@Override
	public synchronized void stop() {
		if (!this.running) {
			return;
		}
		this.running = false;
		ScheduledFuture<?> renewal = this.renewal;
		if (renewal != null) {
			renewal.cancel(false);
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
		this.scheduler.shutdownNow();
		this.connector.shutdownNow();
		this.subscriber.shutdownNow();
		this.events.shutdownNow();
	}

	// RemoteTier

	@Override
	public RemoteCache attach(CachedCache cache, Method method) {
		RedisValues values = cache.getSettings().isRemote() ? RedisValues.of(this.mapper, method) : null;
		RedisRemoteCache remote = new RedisRemoteCache(this, cache, values);
		this.caches.put(cache.getName(), remote);
		return remote;
	}

	@Override
	public Map<String, Object> status() {
		Map<String, Object> status = new LinkedHashMap<>();
		Instant since = this.downSince;
		status.put("status", (since != null) ? "DOWN" : "UP");
		if (since != null) {
			status.put("since", since.toString());
			status.put("error", this.lastError);
		}
		// Lettuce says nothing when a subscription's connection drops: during an outage it is lost
		status.put("subscribed", this.subscribed && since == null);
		status.put("key-prefix", this.settings.keyPrefix());
		status.put("timeout", dev.cached.engine.Durations.format(this.settings.timeout()));
		return status;
	}

	/**
	 * Whether Redis is answering now, as far as this instance knows.
	 * @return {@code false} during an outage
	 */
	public boolean isUp() {
		return this.downSince == null;
	}

	// calls

	RedisTierSettings settings() {
		return this.settings;
	}

	String instanceId() {
		return this.instanceId;
	}

	/**
	 * Run one Redis command, bounded by the timeout.
	 * @param cache the cache to count a fault against, or {@code null}
	 * @param what the command, for the log
	 * @param command the command
	 * @return the reply
	 * @throws Unavailable if Redis is in an outage, fails or does not answer in time
	 */
	<T> T call(@Nullable CachedCache cache, String what, Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<T>> command)
			throws Unavailable {
		long quiet = this.quietUntil;
		if (quiet != 0 && System.nanoTime() - quiet < 0) {
			throw Unavailable.QUIET;
		}
		long deadline = System.nanoTime() + this.timeoutNanos;
		RedisFuture<T> future = null;
		try {
			RedisClusterAsyncCommands<byte[], byte[]> commands = commands(deadline);
			future = command.apply(commands);
			T reply = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			recovered();
			return reply;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			if (future != null) {
				future.cancel(false);
			}
			throw Unavailable.QUIET;
		}
		catch (Unavailable ex) {
			throw ex;
		}
		catch (Exception ex) {
			if (future != null) {
				future.cancel(false);
			}
			throw fault(cache, what, ex);
		}
	}

	private RedisClusterAsyncCommands<byte[], byte[]> commands(long deadline) throws Exception {
		RedisClusterAsyncCommands<byte[], byte[]> commands = this.commands;
		if (commands != null) {
			return commands;
		}
		Future<RedisClusterAsyncCommands<byte[], byte[]>> opening = this.connecting.get();
		if (opening == null || (opening.isDone() && failed(opening))) {
			Future<RedisClusterAsyncCommands<byte[], byte[]>> next = this.connector.submit(this::open);
			opening = this.connecting.compareAndSet(opening, next) ? next : this.connecting.get();
		}
		try {
			commands = opening.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			if (this.commands == null && System.nanoTime() - this.openingSince < STARTUP_GRACE_NANOS) {
				// still starting up: this call goes local, but it is no outage
				throw Unavailable.STARTING;
			}
			throw ex;
		}
		this.commands = commands;
		return commands;
	}

	private static boolean failed(Future<?> future) {
		try {
			future.get();
			return false;
		}
		catch (Exception ex) {
			return true;
		}
	}

	@SuppressWarnings("unchecked")
	private RedisClusterAsyncCommands<byte[], byte[]> open() {
		// Lettuce's shared connection: it reconnects by itself after Redis comes back
		RedisConnection connection = this.connectionFactory.getConnection();
		if (!(connection instanceof LettuceConnection lettuce)) {
			connection.close();
			throw new IllegalStateException("cached.redis needs Lettuce, but the RedisConnectionFactory is a "
					+ this.connectionFactory.getClass().getName());
		}
		return lettuce.getNativeConnection();
	}

	private Unavailable fault(@Nullable CachedCache cache, String what, Exception ex) {
		if (cache != null) {
			cache.getRemoteStatistics().recordError();
		}
		Throwable cause = (ex instanceof java.util.concurrent.ExecutionException && ex.getCause() != null)
				? ex.getCause() : ex;
		String error = (cause instanceof TimeoutException) ? "no answer within " + this.settings.timeout().toMillis()
				+ "ms" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
		this.lastError = error;
		this.quietUntil = System.nanoTime() + this.settings.retryAfter().toNanos();
		if (this.downSince == null) {
			synchronized (this) {
				if (this.downSince == null) {
					this.downSince = Instant.now();
					logger.warn("Redis is unavailable (" + what + ": " + error + "): @Cached calls are answered "
							+ "locally, and Redis is tried again every "
							+ dev.cached.engine.Durations.format(this.settings.retryAfter()) + "; logged once per outage");
				}
			}
		}
		return Unavailable.FAILED;
	}

	private void recovered() {
		if (this.downSince == null) {
			return;
		}
		Instant since;
		synchronized (this) {
			since = this.downSince;
			if (since == null) {
				return;
			}
			this.downSince = null;
			this.quietUntil = 0;
		}
		long millis = Duration.between(since, Instant.now()).toMillis();
		if (this.settings.clearOnReconnect()) {
			clearLocalStores();
			logger.info("Redis is back after " + millis + " ms; the local stores were cleared, since invalidations "
					+ "sent during the outage were lost (cached.redis.clear-on-reconnect)");
		}
		else {
			logger.info("Redis is back after " + millis + " ms");
		}
	}

	private void clearLocalStores() {
		for (RedisRemoteCache cache : this.caches.values()) {
			// the stored entries may have missed invalidations; the loads running now, such
			// as the one whose call just found Redis back, read the source after they did
			cache.cache().clearStoredLocally();
		}
	}

	// leases and waiters

	void holdLease(String leaseKey, byte[] token) {
		this.leases.put(leaseKey, token);
	}

	void dropLease(String leaseKey) {
		this.leases.remove(leaseKey);
	}

	private void renewLeases() {
		long millis = this.settings.leaseTime().toMillis();
		for (Map.Entry<String, byte[]> lease : this.leases.entrySet()) {
			try {
				Long renewed = call(null, "renew a lease",
						(c) -> c.eval(Scripts.RENEW, io.lettuce.core.ScriptOutputType.INTEGER,
								new byte[][] { bytes(lease.getKey()) }, lease.getValue(), bytes(Long.toString(millis))));
				if (renewed == null || renewed == 0) {
					// invalidated meanwhile: the load's write will be refused
					this.leases.remove(lease.getKey(), lease.getValue());
				}
			}
			catch (Unavailable ex) {
				return;
			}
		}
	}

	/**
	 * Return the future a caller waits on for news of {@code entryKey}: registered before
	 * the caller looks, so that no message is missed between its look and its wait.
	 */
	CompletableFuture<Void> waiter(String entryKey) {
		return this.waiters.computeIfAbsent(entryKey, (key) -> new CompletableFuture<>());
	}

	/** The caller registered {@code waiter} and no longer waits: forget it, unless news came. */
	void forget(String entryKey, CompletableFuture<Void> waiter) {
		this.waiters.remove(entryKey, waiter);
	}

	void wake(String entryKey) {
		CompletableFuture<Void> waiter = this.waiters.remove(entryKey);
		if (waiter != null) {
			waiter.complete(null);
		}
	}

	boolean isSubscribed() {
		return this.subscribed;
	}

	// messages

	byte[] message(char type, String cache, @Nullable String key) {
		return bytes(type + "\n" + this.instanceId + "\n" + cache + ((key != null) ? "\n" + key : ""));
	}

	void received(byte[] body) {
		String text = new String(body, StandardCharsets.UTF_8);
		String[] parts = text.split("\n", 4);
		if (parts.length < 3 || parts[0].length() != 1) {
			return;
		}
		char type = parts[0].charAt(0);
		boolean own = this.instanceId.equals(parts[1]);
		RedisRemoteCache cache = this.caches.get(parts[2]);
		String key = (parts.length == 4) ? parts[3] : null;
		if (cache == null) {
			return;
		}
		if (key != null) {
			wake(cache.entryKey(key));
		}
		if (own) {
			return;
		}
		if (type == 'i' && key != null) {
			cache.invalidatedElsewhere(key);
		}
		else if (type == 'c') {
			cache.clearedElsewhere();
		}
	}

	static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	List<String> cacheNames() {
		return new ArrayList<>(this.caches.keySet());
	}

	private final class Listener implements MessageListener, SubscriptionListener {

		@Override
		public void onMessage(Message message, byte @Nullable [] pattern) {
			try {
				received(message.getBody());
			}
			catch (RuntimeException ex) {
				logger.debug("Ignored a message on " + RedisTier.this.settings.channel(), ex);
			}
		}

		@Override
		public void onChannelSubscribed(byte[] channel, long count) {
			RedisTier.this.subscribed = true;
			if (RedisTier.this.subscriptions.getAndIncrement() > 0 && RedisTier.this.settings.clearOnReconnect()) {
				// subscribed again after a lost connection: invalidations sent meanwhile were missed
				clearLocalStores();
				logger.info("Listening to " + RedisTier.this.settings.channel()
						+ " again; the local stores were cleared, since invalidations sent meanwhile were missed");
			}
		}

		@Override
		public void onChannelUnsubscribed(byte[] channel, long count) {
			RedisTier.this.subscribed = false;
		}

	}

	/** A Redis call that did not happen or did not succeed; the caller goes local. */
	static final class Unavailable extends Exception {

		private static final long serialVersionUID = 1L;

		static final Unavailable QUIET = new Unavailable();

		static final Unavailable FAILED = new Unavailable();

		static final Unavailable STARTING = new Unavailable();

		private Unavailable() {
			super(null, null, false, false);
		}

	}

}
