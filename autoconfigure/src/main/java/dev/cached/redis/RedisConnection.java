package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;

/**
 * The tier's connection to Redis: every command the tier sends goes through {@link #call}
 * (which waits for the reply) or {@link #callAsync} (which never blocks), on the
 * connection the {@link RedisConnector} opens, bounded by {@code cached.redis.timeout}
 * whatever Lettuce's own timeout is, and through the {@link RedisBreaker outage breaker}.
 * A command that does not succeed fails with {@link Unavailable}, never with an exception
 * of Redis' own; one that cannot have the connection within the timeout while the tier
 * starts up fails with {@link Unavailable#STARTING}, which is no outage.
 * <p>
 * Callers: the per-cache operations ({@link RedisRemoteCache}), the lease renewal
 * ({@link RedisLeases}) and the {@link RedisOutbox outbox}, on any thread. {@link #call} blocks its caller for at most the
 * timeout; the future of {@link #callAsync} completes on a thread that must not run user
 * code (see there).
 * <p>
 * Implementation notes: both paths share the breaker's code ({@link RedisBreaker#admit()}
 * before a command, {@link #failed} for any way a command can fail, which tells a startup
 * wait from a fault and a lost connection from a late answer,
 * {@link RedisBreaker#succeeded()} after a command that succeeded). No command ends an
 * outage: the {@link RedisOutbox outbox} does, once it has sent what was kept. An
 * asynchronous command settles once ({@link AsyncCall#settle}), whichever of its reply, its
 * failure or its timeout comes first; a command that lost to its timeout is cancelled, as
 * the blocking path cancels it.
 */
final class RedisConnection {

	/** Opens the connection and hands it out; the tier's. */
	private final RedisConnector connector;

	/** Admits, counts and ends outages; the tier's, read by the tier for its status. */
	private final RedisBreaker breaker;

	/** {@code cached.redis.timeout}: the bound of every command, whichever path. */
	private final long timeoutNanos;

	/** Ends asynchronous commands at their timeout; the tier's, used for nothing else. */
	private final ScheduledExecutorService timer;

	/**
	 * Create the connection.
	 * @param settings the tier's settings
	 * @param connector opens the connection
	 * @param breaker the outage breaker
	 * @param timer the thread that ends asynchronous commands at their timeout
	 */
	RedisConnection(RedisTierSettings settings, RedisConnector connector, RedisBreaker breaker,
			ScheduledExecutorService timer) {
		this.connector = connector;
		this.breaker = breaker;
		this.timeoutNanos = settings.timeout().toNanos();
		this.timer = timer;
	}

	/**
	 * Run one Redis command and wait for its reply, at most {@code cached.redis.timeout}.
	 * Never call it on Lettuce's event loop (in a non-async stage of {@link #callAsync}'s
	 * future, for one): it would wait there for a reply that this very loop delivers, and
	 * time out.
	 * @param <T> the reply's type
	 * @param cache the cache to count a fault against, or {@code null}
	 * @param what the command, for the log
	 * @param command sends the command on the connection (or several, such as one per
	 * primary of a cluster, whose replies complete the stage)
	 * @return the reply
	 * @throws Unavailable if Redis is in an outage (and the caller is not the outbox), fails
	 * or does not answer in time, or
	 * the calling thread is interrupted (its interrupt status is kept)
	 */
	<T> T call(@Nullable CachedCache cache, String what,
			Function<RedisClusterAsyncCommands<byte[], byte[]>, ? extends CompletionStage<T>> command)
			throws Unavailable {
		this.breaker.admit();
		long deadline = System.nanoTime() + this.timeoutNanos;
		CompletableFuture<T> future = null;
		try {
			RedisClusterAsyncCommands<byte[], byte[]> commands = this.connector.commands();
			if (commands == null) {
				commands = this.connector.opening().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			}
			future = command.apply(commands).toCompletableFuture();
			T reply = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			this.breaker.succeeded();
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
	 * Send one Redis command without blocking the calling thread, not even while the
	 * connection is being opened (the command then follows the opening). The returned
	 * future completes with the reply, or exceptionally with {@link Unavailable} on any
	 * fault, as {@link #call} throws it: at once during an outage
	 * ({@link Unavailable#QUIET}), and at the latest {@code cached.redis.timeout} after
	 * this call (the command is then cancelled). Faults are counted and logged exactly as
	 * with {@link #call}. Cancelling the returned future cancels
	 * the command.
	 * <p>
	 * <b>Threads.</b> The future is completed on one of: Lettuce's I/O event loop (the
	 * reply, or the command's failure), the tier's timeout thread
	 * {@code cached-redis-timeout} (the timeout), the connector thread
	 * {@code cached-redis-connect} (the connection could not be opened), or the calling thread before this method returns (the quiet window, or a
	 * command Lettuce refused at once). Its non-async dependent stages run on that thread
	 * (or, as with any {@code CompletableFuture}, on a thread that adds them once it is
	 * complete or waits for it in {@code get}/{@code join}). A caller must therefore not run
	 * user code or anything that blocks in a non-async stage: hop first, with
	 * {@code thenApplyAsync(fn, executor)} or the like. The event loop serves every
	 * command of the application's connection; a stage that blocks it stalls them all.
	 * @param <T> the reply's type
	 * @param cache the cache to count a fault against, or {@code null}
	 * @param what the command, for the log
	 * @param command sends the command on the connection; it runs on the calling thread
	 * or the connector thread, and must not block
	 * @return the reply's future; it never completes with another exception than
	 * {@link Unavailable}, except a {@link CancellationException} after its own cancel
	 */
	<T> CompletableFuture<T> callAsync(@Nullable CachedCache cache, String what,
			Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<T>> command) {
		try {
			this.breaker.admit();
		}
		catch (Unavailable ex) {
			return CompletableFuture.failedFuture(ex);
		}
		AsyncCall<T> call = new AsyncCall<>(cache, what);
		try {
			call.timeout = this.timer.schedule(() -> call.settle(null, new TimeoutException()), this.timeoutNanos,
					TimeUnit.NANOSECONDS);
			RedisClusterAsyncCommands<byte[], byte[]> commands = this.connector.commands();
			if (commands != null) {
				call.send(commands, command);
			}
			else {
				this.connector.opening().whenComplete((opened, ex) -> {
					if (ex != null) {
						call.settle(null, ex);
					}
					else {
						call.send(opened, command);
					}
				});
			}
		}
		catch (RuntimeException ex) {
			// an executor of the tier refused the work: the tier was destroyed
			call.settle(null, ex);
		}
		return call.result;
	}

	/**
	 * Return the slots' owners when the connection is to a cluster.
	 * @return the partitions, or {@code null} on a single Redis, Sentinel, or before the
	 * connection is open
	 */
	@Nullable Partitions partitions() {
		RedisClusterAsyncCommands<byte[], byte[]> commands = this.connector.commands();
		return (commands instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> cluster)
				? cluster.getStatefulConnection().getPartitions() : null;
	}

	/**
	 * On Sentinel, drop the connection if it is open but Redis does not answer, so that it is
	 * made again to the primary the sentinels name now ({@link RedisConnector#reconnect()}).
	 * Called by the outbox when its probe fails during an outage.
	 * @return whether the connection was dropped
	 */
	boolean reconnect() {
		return this.connector.reconnect();
	}

	/**
	 * Return a text as Redis receives it (keys, arguments and messages alike).
	 * @param text the text
	 * @return its UTF-8 bytes
	 */
	static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static void cancel(@Nullable Future<?> future) {
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
		if ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
			cause = cause.getCause();
		}
		if (cause instanceof Unavailable unavailable) {
			return unavailable;
		}
		if (cause instanceof TimeoutException && this.connector.starting()) {
			// still starting up: this call goes local, but it is no outage
			return Unavailable.STARTING;
		}
		return this.breaker.fault(cache, what, cause, this.connector.lost(cause));
	}

	/**
	 * One asynchronous command: its reply, its timeout and its outcome, settled once.
	 */
	private final class AsyncCall<T> {

		/** What the caller gets: completed by {@link #settle} only, or cancelled by the caller. */
		final CompletableFuture<T> result = new CompletableFuture<>();

		/** Claimed by the first outcome (reply, failure, timeout, the caller's cancel). */
		private final AtomicBoolean settled = new AtomicBoolean();

		private final @Nullable CachedCache cache;

		private final String what;

		/** The timeout: set by {@link #callAsync} before the command is sent, read when settled. */
		volatile @Nullable ScheduledFuture<?> timeout;

		/** The command once sent (by the caller's or the connector thread), read to cancel it. */
		private volatile @Nullable RedisFuture<T> sent;

		AsyncCall(@Nullable CachedCache cache, String what) {
			this.cache = cache;
			this.what = what;
			this.result.whenComplete((reply, ex) -> {
				if (this.result.isCancelled() && this.settled.compareAndSet(false, true)) {
					cancelTimeout();
					cancel(this.sent);
				}
			});
		}

		void send(RedisClusterAsyncCommands<byte[], byte[]> commands,
				Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<T>> command) {
			if (this.settled.get()) {
				// timed out (or cancelled) while the connection was being opened
				return;
			}
			RedisFuture<T> future;
			try {
				future = command.apply(commands);
			}
			catch (RuntimeException ex) {
				settle(null, ex);
				return;
			}
			this.sent = future;
			if (this.settled.get()) {
				// settled while it was being sent: nobody waits for it
				future.cancel(false);
				return;
			}
			future.whenComplete(this::settle);
		}

		/** Hand out the first outcome, through the breaker; ignore the later ones. */
		void settle(@Nullable T reply, @Nullable Throwable error) {
			if (!this.settled.compareAndSet(false, true)) {
				return;
			}
			cancelTimeout();
			if (error != null) {
				cancel(this.sent);
				this.result.completeExceptionally(failed(this.cache, this.what, error));
			}
			else {
				RedisConnection.this.breaker.succeeded();
				this.result.complete(reply);
			}
		}

		private void cancelTimeout() {
			ScheduledFuture<?> timeout = this.timeout;
			if (timeout != null) {
				timeout.cancel(false);
			}
		}

	}

}
