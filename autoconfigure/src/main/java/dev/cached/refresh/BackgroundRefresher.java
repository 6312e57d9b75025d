package dev.cached.refresh;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import dev.cached.engine.CacheSettings;
import dev.cached.engine.Refresher;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Refresher} of one cache. A read of an entry starts a background reload when
 * <ul>
 * <li>the entry is older than {@code refresh-after}, or</li>
 * <li>with {@code early-refresh-beta} β, with probability exp(−remaining / (β × Δ)),
 * where remaining is the entry's time left to live and Δ the time its load took
 * ("XFetch": Vattani, Chierichetti and Lowenstein, <em>Optimal Probabilistic Cache
 * Stampede Prevention</em>, PVLDB 8(8), 2015). An entry whose load time is unknown
 * (written by a put) is not refreshed early.</li>
 * </ul>
 * Reloads run on the executor this refresher is given (resolved at the first reload). A
 * failed reload is logged at WARN once per key and outage: the next failures of that key
 * are silent until a reload of it succeeds again, which is logged at INFO.
 */
public final class BackgroundRefresher implements Refresher {

	private static final Log logger = LogFactory.getLog(BackgroundRefresher.class);

	/** Beyond this many β × Δ of remaining time, the probability is below e^-40: never. */
	private static final double NEGLIGIBLE = 40;

	/** At most this many keys are remembered as failing, so that logging cannot leak. */
	private static final int MAX_FAILING_KEYS = 10_000;

	private final String cacheName;

	/** Age from which a read is due, or {@link Long#MAX_VALUE} when refresh-after is unset. */
	private final long refreshAfterNanos;

	/** β, or 0 when early refresh is off. */
	private final double beta;

	private final RandomGenerator random;

	private final Supplier<Executor> executorSupplier;

	/** Resolved at the first reload. */
	private volatile @Nullable Executor executor;

	/** Keys whose last reload failed; added and removed by reloading threads. */
	private final Set<Object> failing = ConcurrentHashMap.newKeySet();

	/**
	 * Create the refresher of one cache.
	 * @param cacheName the cache name, for the log
	 * @param settings the cache's effective settings
	 * @param executor supplies the executor that runs reloads, called once at the first
	 * reload
	 * @param random the source of early refresh's coin flips (thread-safe)
	 */
	public BackgroundRefresher(String cacheName, CacheSettings settings, Supplier<Executor> executor,
			RandomGenerator random) {
		this.cacheName = cacheName;
		Duration refreshAfter = settings.refreshAfter().value();
		this.refreshAfterNanos = (refreshAfter != null) ? refreshAfter.toNanos() : Long.MAX_VALUE;
		Double beta = settings.earlyRefreshBeta().value();
		this.beta = (beta != null && settings.ttl().value() != null) ? beta : 0;
		this.executorSupplier = executor;
		this.random = random;
	}

	@Override
	public boolean isDue(long ageNanos, long remainingNanos, long loadNanos) {
		if (ageNanos >= this.refreshAfterNanos) {
			return true;
		}
		if (this.beta <= 0 || loadNanos <= 0 || remainingNanos == Long.MAX_VALUE) {
			return false;
		}
		double scaled = remainingNanos / (this.beta * loadNanos);
		if (scaled > NEGLIGIBLE) {
			return false;
		}
		return this.random.nextDouble() < probability(scaled);
	}

	/**
	 * Return the probability that a read starts an early refresh: exp(−remaining /
	 * (β × Δ)), capped at 1.
	 * @param remainingOverBetaDelta remaining / (β × Δ)
	 * @return the probability
	 */
	static double probability(double remainingOverBetaDelta) {
		return Math.min(1.0, Math.exp(-remainingOverBetaDelta));
	}

	@Override
	public void execute(Runnable reload) {
		Executor executor = this.executor;
		if (executor == null) {
			executor = this.executorSupplier.get();
			this.executor = executor;
		}
		executor.execute(reload);
	}

	@Override
	public void succeeded(Object key) {
		if (!this.failing.isEmpty() && this.failing.remove(key)) {
			logger.info("Background refresh of cache '" + this.cacheName + "' key '" + key + "' succeeded again");
		}
	}

	@Override
	public void failed(Object key, Throwable failure) {
		if (this.failing.size() >= MAX_FAILING_KEYS) {
			this.failing.clear();
		}
		if (this.failing.add(key)) {
			logger.warn("Background refresh of cache '" + this.cacheName + "' key '" + key + "' failed ("
					+ failure + "); the stored value is served until its ttl and the next read that finds it due "
					+ "tries again; further failures of this key are not logged until a refresh of it succeeds",
					failure);
		}
	}

}
