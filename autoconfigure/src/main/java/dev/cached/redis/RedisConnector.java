package dev.cached.redis;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import io.lettuce.core.CommandListenerWriter;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.event.connection.ConnectedEvent;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.protocol.CommandExpiryWriter;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.lettuce.core.resource.ClientResources;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Opens the tier's connection to Redis: Lettuce's shared native connection of the
 * application's connection factory, which Lettuce reconnects by itself after Redis comes
 * back. Opening it may block longer than a command may take (a Redis that accepts the
 * connection but does not answer its handshake), so it is opened on the tier's connect
 * thread: when the tier starts ({@link #connect()}), and again when a command finds that
 * the last attempt failed ({@link #opening()}). The first five seconds after the tier
 * starts are its {@link #starting() startup}: a command that cannot have the connection
 * then is no outage.
 * <p>
 * On Sentinel ({@code spring.data.redis.sentinel.*}), Lettuce asks the sentinels for the
 * primary each time it connects, so a killed primary is followed by itself. A primary that
 * stops answering without closing the connection (frozen, cut off) is not: Lettuce would
 * wait for it forever. The outbox therefore {@link #reconnect() reconnects} when Redis does
 * not answer its probe during an outage.
 * <p>
 * On a Redis Cluster ({@code spring.data.redis.cluster.*}), Lettuce routes each command
 * to the primary of its key's slot and follows a failover by refreshing the topology (if
 * the application lets it: {@code spring.data.redis.lettuce.cluster.refresh.*}); nothing
 * here differs, but for the outbox's probe, which asks every primary that serves slots,
 * and the subscription's {@link RedisHeartbeat heartbeat}.
 * <p>
 * Only {@link RedisTier} (which starts it) and {@link dev.cached.redis.RedisConnection}
 * (for every command, on any thread) use it; none of its methods blocks.
 */
final class RedisConnector {

	private static final Log logger = LogFactory.getLog(RedisConnector.class);

	private static final long STARTUP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

	private static final long AWAIT_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

	private final RedisConnectionFactory connectionFactory;

	/** Whether the connection factory finds the primary through Sentinel. */
	private final boolean sentinel;

	/** Runs the attempts to open the connection: the tier's connect thread. */
	private final Executor opener;

	/**
	 * The current attempt to open the connection: set by {@link #connect()}, replaced
	 * (compare-and-set) by {@link #opening()} when the last attempt failed; read by every
	 * command until the connection is open. {@code null} until the tier starts.
	 */
	private final AtomicReference<@Nullable CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>>> connecting =
			new AtomicReference<>();

	/** The open connection's commands: written on the connect thread once opened, read by every command. */
	private volatile @Nullable RedisClusterAsyncCommands<byte[], byte[]> commands;

	/** When the tier started: written by {@link #connect()}, read by a command that could not have the connection. */
	private volatile long openingSince;

	/** When a connection of the factory first reached Redis ({@link System#nanoTime()}, never 0); 0 until then. */
	private volatile long reachedAt;

	/** Whether Redis answered a handshake of the factory's connections (Lettuce's {@link ConnectionActivatedEvent}). */
	private volatile boolean answered;

	/** Whether Lettuce's connection events are followed ({@link #watchConnections()}). */
	private volatile boolean watching;

	/** The subscription to Lettuce's connection events, disposed by {@link #close()}. */
	private volatile @Nullable Disposable events;

	/**
	 * Create the connector; nothing is opened until {@link #connect()}.
	 * @param connectionFactory the application's connection factory (Lettuce)
	 * @param opener the thread that opens the connection
	 */
	RedisConnector(RedisConnectionFactory connectionFactory, Executor opener) {
		this.connectionFactory = connectionFactory;
		this.opener = opener;
		this.sentinel = connectionFactory instanceof LettuceConnectionFactory lettuce && lettuce.isRedisSentinelAware();
	}

	/**
	 * Start opening the connection in the background, so that the first commands need
	 * not wait for it; its startup begins now. Called by the tier when it is made and
	 * again when it starts.
	 */
	void connect() {
		this.openingSince = System.nanoTime();
		if (this.connecting.get() == null) {
			watchConnections();
			this.connecting.compareAndSet(null, CompletableFuture.supplyAsync(this::open, this.opener));
		}
	}

	/**
	 * Return the open connection's commands.
	 * @return the commands, or {@code null} while the connection is not open yet
	 */
	@Nullable RedisClusterAsyncCommands<byte[], byte[]> commands() {
		return this.commands;
	}

	/**
	 * Return the attempt to open the connection that a command waits for: the current
	 * one, or a new one if the last failed.
	 * @return the attempt; it completes on the connect thread, exceptionally (wrapped in a
	 * {@link java.util.concurrent.CompletionException}) if the connection cannot be opened
	 * @throws java.util.concurrent.RejectedExecutionException after the tier was destroyed
	 */
	CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> opening() {
		CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> opening = this.connecting.get();
		if (opening == null || opening.isCompletedExceptionally()) {
			CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> next = CompletableFuture.supplyAsync(this::open,
					this.opener);
			opening = this.connecting.compareAndSet(opening, next) ? next : this.connecting.get();
		}
		return opening;
	}

	/**
	 * Whether the tier is still starting up: the connection is not open yet, within five
	 * seconds of {@link #connect()}.
	 * @return whether a command that cannot have the connection now is no outage
	 */
	boolean starting() {
		return this.commands == null && System.nanoTime() - this.openingSince < STARTUP_GRACE_NANOS;
	}

	/**
	 * Wait until the connection is open, while the application starts, so that its first
	 * calls find it open. What is waited for is Redis' time, at most {@code nanos} of it:
	 * once a connection of the factory has reached Redis (Lettuce's {@link ConnectedEvent}),
	 * Redis has {@code nanos} to answer a handshake ({@link ConnectionActivatedEvent}, of
	 * any connection of the factory, the subscription's included). The JVM's own work
	 * (Lettuce's and Netty's first start in a fresh JVM: a second or more on a busy
	 * machine, none of it Redis') is waited for too, before a connection reaches Redis and
	 * once Redis has answered one, until {@link #STARTUP_GRACE_NANOS} after
	 * {@link #connect()}. A Redis that refuses connections fails the attempt at once; one
	 * that accepts them and does not answer delays startup by {@code nanos} after the
	 * connection reached it. Without Lettuce's events (a factory without client
	 * resources), the wait is {@code nanos}.
	 * @param nanos how long Redis may take to answer
	 * @return whether it is open
	 */
	boolean awaitOpen(long nanos) {
		long start = System.nanoTime();
		while (this.commands == null) {
			long now = System.nanoTime();
			long reached = this.reachedAt;
			long deadline;
			if (!this.watching) {
				deadline = start + nanos;
			}
			else if (reached != 0 && !this.answered) {
				// a connection reached Redis, and Redis has not answered any handshake yet
				deadline = Math.max(start, reached) + nanos;
			}
			else {
				// nothing reached Redis yet (the JVM's own work), or Redis answers (another
				// connection, the subscription's, was made): what is left is this JVM's
				deadline = Math.max(start + nanos, this.openingSince + STARTUP_GRACE_NANOS);
			}
			if (now - deadline >= 0) {
				break;
			}
			try {
				// woken at least every few milliseconds to see whether the connection reached Redis
				opening().get(Math.min(deadline - now, AWAIT_STEP_NANOS), TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
			catch (TimeoutException ex) {
				// not open yet: look again
			}
			catch (Exception ex) {
				// Redis is down: the first calls go local, the outbox keeps the writes
				break;
			}
		}
		return this.commands != null;
	}

	/**
	 * Follow Lettuce's connection events of the factory's client resources (if it has
	 * some): the time a connection first reached Redis, for {@link #awaitOpen}.
	 */
	private void watchConnections() {
		if (!(this.connectionFactory instanceof LettuceConnectionFactory lettuce)) {
			return;
		}
		ClientResources resources = lettuce.getClientResources();
		if (resources == null) {
			return;
		}
		try {
			this.events = resources.eventBus().get().subscribe((event) -> {
				if (event instanceof ConnectedEvent && this.reachedAt == 0) {
					this.reachedAt = System.nanoTime() | 1;
				}
				else if (event instanceof ConnectionActivatedEvent) {
					this.answered = true;
				}
			});
			this.watching = true;
		}
		catch (RuntimeException ex) {
			logger.debug("Not following Lettuce's connection events", ex);
		}
	}

	/** Stop following Lettuce's connection events. */
	void close() {
		Disposable events = this.events;
		if (events != null) {
			events.dispose();
		}
	}

	/**
	 * Tell whether a command that failed with {@code cause} found the connection lost:
	 * Lettuce could not make it, or has it closed now (it reconnects by itself), as
	 * opposed to a Redis that is merely slow to answer on an open connection.
	 * @param cause why the command failed
	 * @return whether the connection is lost
	 */
	boolean lost(Throwable cause) {
		if (cause instanceof RedisConnectionException || cause instanceof ClosedChannelException) {
			return true;
		}
		RedisClusterAsyncCommands<byte[], byte[]> commands = this.commands;
		return (commands == null) ? !starting() : !isOpen(commands);
	}

	/**
	 * On Sentinel, drop an open connection that does not answer, so that Lettuce connects
	 * again to the primary the sentinels name now (a failover may have replaced the one it
	 * holds). Lettuce reconnects by itself; the commands sent meanwhile fail as during any
	 * outage, and the connection counts as lost (the subscription is made again).
	 * @return whether the connection was dropped
	 */
	boolean reconnect() {
		RedisClusterAsyncCommands<byte[], byte[]> commands = this.commands;
		if (!this.sentinel || !(commands instanceof RedisAsyncCommands<byte[], byte[]> single)
				|| !(single.getStatefulConnection() instanceof RedisChannelHandler<?, ?> handler) || !handler.isOpen()) {
			return false;
		}
		RedisChannelWriter writer = handler.getChannelWriter();
		while (!(writer instanceof DefaultEndpoint)) {
			if (writer instanceof CommandExpiryWriter expiry) {
				writer = expiry.getDelegate();
			}
			else if (writer instanceof CommandListenerWriter listener) {
				writer = listener.getDelegate();
			}
			else {
				return false;
			}
		}
		logger.debug("Redis does not answer: connecting again to the primary the sentinels name");
		((DefaultEndpoint) writer).disconnect();
		return true;
	}

	/** Whether the connection behind {@code commands} is open (the same call on Lettuce 6 and 7). */
	private static boolean isOpen(RedisClusterAsyncCommands<byte[], byte[]> commands) {
		if (commands instanceof RedisAsyncCommands<byte[], byte[]> single) {
			return single.getStatefulConnection().isOpen();
		}
		if (commands instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> cluster) {
			return cluster.getStatefulConnection().isOpen();
		}
		return true;
	}

	@SuppressWarnings("unchecked")
	private RedisClusterAsyncCommands<byte[], byte[]> open() {
		long start = System.nanoTime();
		RedisClusterAsyncCommands<byte[], byte[]> commands;
		try {
			commands = openNow();
		}
		catch (RuntimeException ex) {
			logger.debug("Opening the connection to Redis failed after "
					+ TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms", ex);
			throw ex;
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Opened the connection to Redis in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
					+ " ms");
		}
		return commands;
	}

	@SuppressWarnings("unchecked")
	private RedisClusterAsyncCommands<byte[], byte[]> openNow() {
		// Lettuce's shared connection: it reconnects by itself after Redis comes back
		RedisConnection connection = this.connectionFactory.getConnection();
		if (!(connection instanceof LettuceConnection lettuce)) {
			connection.close();
			throw new IllegalStateException("cached.redis needs Lettuce, but the RedisConnectionFactory is a "
					+ this.connectionFactory.getClass().getName());
		}
		RedisClusterAsyncCommands<byte[], byte[]> commands = lettuce.getNativeConnection();
		this.commands = commands;
		return commands;
	}

}
