package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;

/**
 * The tier's connection to Redis: every command the tier sends goes through {@link #call},
 * on the connection the {@link RedisConnector} opens, bounded by
 * {@code cached.redis.timeout} whatever Lettuce's own timeout is, and through the
 * {@link RedisBreaker outage breaker}. A command that does not succeed fails with
 * {@link Unavailable}, never with an exception of Redis' own; one that cannot have the
 * connection within the timeout while the tier starts up fails with
 * {@link Unavailable#STARTING}, which is no outage.
 * <p>
 * Callers: the per-cache operations ({@link RedisRemoteCache}) and the lease renewal
 * ({@link RedisLeases}), on any thread. {@link #call} blocks its caller for at most the
 * timeout.
 * <p>
 * Implementation notes: {@link RedisBreaker#admit()} before a command, {@link #failed} for
 * any way a command can fail, which tells a startup wait from a fault,
 * {@link RedisBreaker#recovered()} after a command that succeeded.
 */
final class RedisConnection {

	/** Opens the connection and hands it out; the tier's. */
	private final RedisConnector connector;

	/** Admits, counts and ends outages; the tier's, read by the tier for its status. */
	private final RedisBreaker breaker;

	/** {@code cached.redis.timeout}: the bound of every command. */
	private final long timeoutNanos;

	/**
	 * Create the connection.
	 * @param settings the tier's settings
	 * @param connector opens the connection
	 * @param breaker the outage breaker
	 */
	RedisConnection(RedisTierSettings settings, RedisConnector connector, RedisBreaker breaker) {
		this.connector = connector;
		this.breaker = breaker;
		this.timeoutNanos = settings.timeout().toNanos();
	}

	/**
	 * Run one Redis command and wait for its reply, at most {@code cached.redis.timeout}.
	 * Never call it on Lettuce's event loop: it would wait there for a reply that this very
	 * loop delivers, and time out.
	 * @param <T> the reply's type
	 * @param cache the cache to count a fault against, or {@code null}
	 * @param what the command, for the log
	 * @param command sends the command on the connection
	 * @return the reply
	 * @throws Unavailable if Redis is in an outage, fails or does not answer in time, or
	 * the calling thread is interrupted (its interrupt status is kept)
	 */
	<T> T call(@Nullable CachedCache cache, String what,
			Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<T>> command) throws Unavailable {
		this.breaker.admit();
		long deadline = System.nanoTime() + this.timeoutNanos;
		RedisFuture<T> future = null;
		try {
			RedisClusterAsyncCommands<byte[], byte[]> commands = this.connector.commands();
			if (commands == null) {
				commands = this.connector.opening().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			future = command.apply(commands);
			T reply = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			this.breaker.recovered();
			return reply;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			cancel(future);
			throw Unavailable.QUIET;
		}
		catch (Exception ex) {
			cancel(future);
			throw failed(cache, what, ex);
		}
	}

	/**
	 * Return a text as Redis receives it (keys, arguments and messages alike).
	 * @param text the text
	 * @return its UTF-8 bytes
	 */
	static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static void cancel(@Nullable RedisFuture<?> future) {
		if (future != null) {
			future.cancel(false);
		}
	}

	/**
	 * Tell what a command that did not succeed means: the connection is not open yet
	 * while the tier starts up (no outage), or a fault.
	 */
	private Unavailable failed(@Nullable CachedCache cache, String what, Throwable ex) {
		Throwable cause = ex;
		if (cause instanceof ExecutionException && cause.getCause() != null) {
			cause = cause.getCause();
		}
		if (cause instanceof Unavailable unavailable) {
			return unavailable;
		}
		if (cause instanceof TimeoutException && this.connector.starting()) {
			// still starting up: this call goes local, but it is no outage
			return Unavailable.STARTING;
		}
		return this.breaker.fault(cache, what, cause);
	}

}
