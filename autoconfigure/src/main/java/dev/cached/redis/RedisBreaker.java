package dev.cached.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeoutException;

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
 * {@code cache.remote.errors}, it starts an outage if none is on (logged once per outage),
 * and for {@code retry-after} after it no command reaches Redis: {@link #admit()} refuses
 * them at once. The first command that succeeds after that ends the outage
 * ({@link #recovered()}); with {@code clear-on-reconnect} the local stores of every cache
 * are cleared then, since invalidations sent during the outage were lost.
 * <p>
 * Only the connection calls it, on whatever thread a command runs or completes; the
 * tier reads its {@link #status}. Its state is a few volatile fields written without a
 * lock, except the start and the end of an outage, which are decided under this object's
 * lock, so that each is logged once. The log lines go to the category of
 * {@link RedisTier}, as they always have.
 */
final class RedisBreaker {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	private final RedisTierSettings settings;

	/** Clears the local store of every cache of the tier. */
	private final Runnable clearLocalStores;

	/**
	 * Nanotime until which no command reaches Redis; 0 while Redis is up. Written by each
	 * fault and by the end of an outage (under the lock); read before every command.
	 */
	private volatile long quietUntil;

	/**
	 * When the current outage began, or {@code null} while Redis is up. Written under the
	 * lock by the first fault of an outage and by its end; read by anyone at any time.
	 */
	private volatile @Nullable Instant downSince;

	/** The last fault, as logged: written by each fault, read for the status. */
	private volatile @Nullable String lastError;

	/**
	 * Create the breaker of a tier's connection, Redis up.
	 * @param settings the tier's settings
	 * @param clearLocalStores clears the local store of every cache of the tier
	 */
	RedisBreaker(RedisTierSettings settings, Runnable clearLocalStores) {
		this.settings = settings;
		this.clearLocalStores = clearLocalStores;
	}

	/**
	 * Let a command through, unless Redis is in an outage's quiet window.
	 * @throws Unavailable {@link Unavailable#QUIET} within
	 * the window
	 */
	void admit() throws Unavailable {
		long quiet = this.quietUntil;
		if (quiet != 0 && System.nanoTime() - quiet < 0) {
			throw Unavailable.QUIET;
		}
	}

	/**
	 * A command failed or was late: count it, start an outage if none is on, and keep
	 * commands away from Redis for {@code retry-after}.
	 * @param cache the cache to count the fault against, or {@code null}
	 * @param what the command, for the log
	 * @param cause why it failed: a {@link TimeoutException} if it was late
	 * @return {@link Unavailable#FAILED}, for the caller to throw
	 */
	Unavailable fault(@Nullable CachedCache cache, String what, Throwable cause) {
		if (cache != null) {
			cache.getRemoteStatistics().recordError();
		}
		String error = (cause instanceof TimeoutException) ? "no answer within " + this.settings.timeout().toMillis()
				+ "ms" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
		this.lastError = error;
		this.quietUntil = System.nanoTime() + this.settings.retryAfter().toNanos();
		if (this.downSince == null) {
			synchronized (this) {
				if (this.downSince == null) {
					this.downSince = Instant.now();
					logger.warn("Redis is unavailable (" + what + ": " + error + "): @Cached calls are answered "
							+ "locally, and Redis is tried again every " + Durations.format(this.settings.retryAfter())
							+ "; logged once per outage");
				}
			}
		}
		return Unavailable.FAILED;
	}

	/**
	 * A command succeeded: end the outage, if one is on. With {@code clear-on-reconnect}
	 * this clears every local store, on the calling thread.
	 */
	void recovered() {
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
			this.clearLocalStores.run();
			logger.info("Redis is back after " + millis + " ms; the local stores were cleared, since invalidations "
					+ "sent during the outage were lost (cached.redis.clear-on-reconnect)");
		}
		else {
			logger.info("Redis is back after " + millis + " ms");
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
