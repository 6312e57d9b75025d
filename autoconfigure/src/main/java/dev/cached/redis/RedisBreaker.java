package dev.cached.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;
import dev.cached.engine.Durations;

/**
 * The outage breaker of the tier's {@link RedisConnection}: whether Redis is in an outage,
 * and what starts and ends one.
 * <p>
 * A command that fails or is late is a {@link #fault}: it is counted in the cache's
 * {@code cache.remote.errors} and fails that call's Redis step only. An outage begins
 * with the {@value #OUTAGE_AFTER}th fault in a row (no command succeeded in between), or
 * at once when the connection is lost (Lettuce has no open connection, or could not
 * make one); it is logged once. During an outage {@link #admit()}
 * refuses every command at once, except those of the {@link #prober() prober}: the
 * outbox's thread ({@link RedisOutbox}), which tries Redis again every
 * {@code retry-after}, sends what was kept, and only then {@link #end ends} the outage
 * (clearing every local store once, with {@code clear-on-reconnect}, and logging once).
 * <p>
 * Only the connection and the outbox call it, on whatever thread a command runs or
 * completes; the tier reads its {@link #status}. Its state is a few volatile fields
 * written without a lock, except the start and the end of an outage, which are decided
 * under this object's lock, so that each is logged once. The log lines go to the category
 * of {@link RedisTier}, as they always have.
 */
final class RedisBreaker {

	/** How many faults in a row (without a success in between) begin an outage. */
	static final int OUTAGE_AFTER = 3;

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	private final RedisTierSettings settings;

	/** Clears the local store of every cache of the tier. */
	private final Predicate<Instant> clearLocalStores;

	/** Faults since the last command that succeeded: written by every command's outcome. */
	private final AtomicInteger faultsInARow = new AtomicInteger();

	/**
	 * Nanotime before which the prober does not try Redis again: written by each fault,
	 * read by the prober.
	 */
	private volatile long quietUntil;

	/**
	 * When the current outage began, or {@code null} while Redis is up. Written under the
	 * lock by the fault that begins an outage and by its end; read by anyone at any time.
	 */
	private volatile @Nullable Instant downSince;

	/** The last fault, as logged: written by each fault, read for the status. */
	private volatile @Nullable String lastError;

	/**
	 * Whether the connection was lost since the subscription was last made: set by a fault
	 * that found no open connection, reset when the subscription is made again; read for
	 * the status and by the end of an outage.
	 */
	private volatile boolean connectionLost;

	/** The only thread admitted during an outage: set once by the outbox when it starts. */
	private volatile @Nullable Thread prober;

	/**
	 * Create the breaker of a tier's connection, Redis up.
	 * @param settings the tier's settings
	 * @param clearLocalStores clears the local store of every cache of the tier, told when
	 * the outage that ends began; {@code false} if they had been invalidated since (by a
	 * subscription made again) and were left alone
	 */
	RedisBreaker(RedisTierSettings settings, Predicate<Instant> clearLocalStores) {
		this.settings = settings;
		this.clearLocalStores = clearLocalStores;
	}

	/**
	 * Let a command through, unless Redis is in an outage and the caller is not the prober.
	 * @throws Unavailable {@link Unavailable#QUIET} during an outage
	 */
	void admit() throws Unavailable {
		if (this.downSince != null && Thread.currentThread() != this.prober) {
			throw Unavailable.QUIET;
		}
	}

	/**
	 * Make {@code thread} the prober: the one thread whose commands are admitted during an
	 * outage.
	 * @param thread the outbox's thread
	 */
	void prober(Thread thread) {
		this.prober = thread;
	}

	/**
	 * A command failed or was late: count it, and begin an outage after
	 * {@value #OUTAGE_AFTER} in a row or when the connection is lost.
	 * @param cache the cache to count the fault against, or {@code null}
	 * @param what the command, for the log
	 * @param cause why it failed: a {@link TimeoutException} if it was late
	 * @param lost whether the connection is lost (Lettuce has no open connection, or
	 * could not make one)
	 * @return {@link Unavailable#FAILED}, for the caller to throw
	 */
	Unavailable fault(@Nullable CachedCache cache, String what, Throwable cause, boolean lost) {
		if (cache != null) {
			cache.getRemoteStatistics().recordError();
		}
		boolean late = cause instanceof TimeoutException;
		String error = late ? "no answer within " + this.settings.timeout().toMillis() + "ms"
				: cause.getClass().getSimpleName() + ": " + cause.getMessage();
		this.lastError = error;
		this.quietUntil = System.nanoTime() + this.settings.retryAfter().toNanos();
		if (lost) {
			this.connectionLost = true;
		}
		int inARow = this.faultsInARow.incrementAndGet();
		if (this.downSince == null && (lost || inARow >= OUTAGE_AFTER)) {
			synchronized (this) {
				if (this.downSince == null) {
					this.downSince = Instant.now();
					logger.warn("Redis is unavailable (" + what + ": " + error + "): @Cached calls are answered "
							+ "locally, writes are kept to be sent when it is back, and it is tried again every "
							+ Durations.format(this.settings.retryAfter()) + "; logged once per outage");
				}
			}
		}
		return Unavailable.FAILED;
	}

	/**
	 * A command succeeded: the faults in a row start again from zero. It does not end an
	 * outage: only the prober does, with {@link #end()}.
	 */
	void succeeded() {
		if (this.faultsInARow.get() != 0) {
			this.faultsInARow.set(0);
		}
	}

	/**
	 * How long the prober waits before it tries Redis again.
	 * @return nanoseconds, 0 or less if it may try now
	 */
	long quietNanosLeft() {
		return this.quietUntil - System.nanoTime();
	}

	/**
	 * Whether the connection was lost since the subscription was last made: the
	 * subscription cannot be trusted until it is made again.
	 * @return whether it was lost
	 */
	boolean connectionLost() {
		return this.connectionLost;
	}

	/**
	 * The subscription was made (again): it holds from now on.
	 */
	void subscribed() {
		this.connectionLost = false;
	}

	/**
	 * End the outage, if one is on: called by the prober once Redis answers, everything
	 * kept was sent and the subscription holds. With {@code clear-on-reconnect} this
	 * clears every local store first (on the calling thread): commands other than the
	 * prober's are admitted again only after that.
	 */
	void end() {
		Instant since = this.downSince;
		if (since == null) {
			return;
		}
		boolean clear = this.settings.clearOnReconnect() && this.clearLocalStores.test(since);
		synchronized (this) {
			if (this.downSince == null) {
				return;
			}
			this.downSince = null;
			this.faultsInARow.set(0);
		}
		long millis = Duration.between(since, Instant.now()).toMillis();
		if (clear) {
			logger.info("Redis is back after " + millis + " ms; the writes kept meanwhile were sent, and the local "
					+ "stores were cleared, since invalidations of the other instances may have been missed "
					+ "(cached.redis.clear-on-reconnect)");
		}
		else {
			logger.info("Redis is back after " + millis + " ms; the writes kept meanwhile were sent");
		}
	}

	/**
	 * Whether Redis is answering now, as far as this instance knows.
	 * @return {@code false} during an outage
	 */
	boolean isUp() {
		return this.downSince == null;
	}

	/**
	 * Put the breaker's part of the tier's status: {@code status} ({@code UP} or
	 * {@code DOWN}), and during an outage {@code since} and {@code error}.
	 * @param status the status to add to
	 * @return whether Redis is up, as written
	 */
	boolean status(Map<String, Object> status) {
		Instant since = this.downSince;
		status.put("status", (since != null) ? "DOWN" : "UP");
		if (since != null) {
			status.put("since", since.toString());
			status.put("error", this.lastError);
		}
		return since == null;
	}

}
