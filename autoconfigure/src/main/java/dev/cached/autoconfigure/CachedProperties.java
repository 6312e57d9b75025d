package dev.cached.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.Ordered;

/**
 * Configuration of {@code @Cached} caches.
 */
@ConfigurationProperties("cached")
public class CachedProperties {

	/**
	 * Whether @Cached and @CacheInvalidate methods are intercepted. When false, they run
	 * as if unannotated.
	 */
	private boolean enabled = true;

	/**
	 * Whether an invalidation (or put) made inside a Spring transaction takes effect
	 * again when the transaction commits, so that nothing cached between the write and
	 * the commit survives it. It always takes effect at once as well.
	 */
	private boolean transactionAware = true;

	/**
	 * Order of the @Cached and @CacheInvalidate advice among the other advisors of a
	 * bean; lower values run first, around the others. The default runs just outside
	 * advisors at the default order, such as @Transactional: a hit opens no transaction.
	 */
	private int order = Ordered.LOWEST_PRECEDENCE - 1;

	/**
	 * Settings for every cache that does not set its own.
	 */
	private final Settings defaults = new Settings();

	/**
	 * Settings per cache name, e.g. cached.caches.[RuleService.getAllRules].ttl. These win
	 * over the @Cached annotation and over the defaults.
	 */
	private final Map<String, Settings> caches = new LinkedHashMap<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public boolean isTransactionAware() {
		return this.transactionAware;
	}

	public void setTransactionAware(boolean transactionAware) {
		this.transactionAware = transactionAware;
	}

	public int getOrder() {
		return this.order;
	}

	public void setOrder(int order) {
		this.order = order;
	}

	public Settings getDefaults() {
		return this.defaults;
	}

	public Map<String, Settings> getCaches() {
		return this.caches;
	}

	/**
	 * Settings of a cache; unset values fall back to the next source.
	 */
	public static class Settings {

		/**
		 * Time to live of an entry after it is written. Unset means no time-based expiry.
		 */
		private @Nullable Duration ttl;

		/**
		 * Maximum number of entries; beyond it, the entries least likely to be used again
		 * are evicted.
		 */
		private @Nullable Long maxSize;

		/**
		 * How long a caller waits for a load started by another caller before it runs the
		 * method itself (its result is then not stored). Unset means wait however long the
		 * load takes.
		 */
		private @Nullable Duration waitTimeout;

		/**
		 * Whether null results are stored.
		 */
		private @Nullable Boolean cacheNullValues;

		/**
		 * Age after which a read of an entry returns the stored value at once and starts
		 * one background reload of its key on the cachedRefreshExecutor. Needs a ttl, and
		 * must be below it. Unset means no refresh by age.
		 */
		private @Nullable Duration refreshAfter;

		/**
		 * Fraction in [0, 0.5] by which each entry's ttl varies: it is drawn uniformly in
		 * ttl * (1 +/- jitter), so that entries written together do not expire together.
		 * Unset means every entry lives exactly the ttl.
		 */
		private @Nullable Double ttlJitter;

		/**
		 * Beta of probabilistic early refresh (XFetch), above zero: a read of an entry
		 * with 'remaining' time to live starts a background reload with probability
		 * exp(-remaining / (beta * load time of the entry)). 1.0 is the usual choice;
		 * larger values refresh earlier. Unset means no early refresh.
		 */
		private @Nullable Double earlyRefreshBeta;

		public @Nullable Duration getTtl() {
			return this.ttl;
		}

		public void setTtl(@Nullable Duration ttl) {
			this.ttl = ttl;
		}

		public @Nullable Long getMaxSize() {
			return this.maxSize;
		}

		public void setMaxSize(@Nullable Long maxSize) {
			this.maxSize = maxSize;
		}

		public @Nullable Duration getWaitTimeout() {
			return this.waitTimeout;
		}

		public void setWaitTimeout(@Nullable Duration waitTimeout) {
			this.waitTimeout = waitTimeout;
		}

		public @Nullable Boolean getCacheNullValues() {
			return this.cacheNullValues;
		}

		public void setCacheNullValues(@Nullable Boolean cacheNullValues) {
			this.cacheNullValues = cacheNullValues;
		}

		public @Nullable Duration getRefreshAfter() {
			return this.refreshAfter;
		}

		public void setRefreshAfter(@Nullable Duration refreshAfter) {
			this.refreshAfter = refreshAfter;
		}

		public @Nullable Double getTtlJitter() {
			return this.ttlJitter;
		}

		public void setTtlJitter(@Nullable Double ttlJitter) {
			this.ttlJitter = ttlJitter;
		}

		public @Nullable Double getEarlyRefreshBeta() {
			return this.earlyRefreshBeta;
		}

		public void setEarlyRefreshBeta(@Nullable Double earlyRefreshBeta) {
			this.earlyRefreshBeta = earlyRefreshBeta;
		}

	}

}
