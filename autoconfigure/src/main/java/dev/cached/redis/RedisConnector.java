package dev.cached.redis;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.lettuce.core.CommandListenerWriter;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.protocol.CommandExpiryWriter;
import io.lettuce.core.protocol.DefaultEndpoint;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

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
 * Only {@link RedisTier} (which starts it) and {@link dev.cached.redis.RedisConnection}
 * (for every command, on any thread) use it; none of its methods blocks.
 */
final class RedisConnector {

	private static final Log logger = LogFactory.getLog(RedisConnector.class);

	private static final long STARTUP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

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
	 * Wait until the connection is open, at most {@code nanos}: while the application
	 * starts, so that its first calls find it open.
	 * @param nanos the bound
	 * @return whether it is open
	 */
	boolean awaitOpen(long nanos) {
		if (this.commands != null) {
			return true;
		}
		try {
			opening().get(nanos, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			// not open in time, or Redis is down: the first calls go local, the outbox keeps the writes
		}
		return this.commands != null;
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
