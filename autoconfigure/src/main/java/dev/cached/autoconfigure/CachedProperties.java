package dev.cached.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.Ordered;
import org.springframework.util.unit.DataSize;

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

	/**
	 * The tier shared by several instances of the application, on Redis.
	 */
	private final Redis redis = new Redis();

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

	public Redis getRedis() {
		return this.redis;
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

		/**
		 * Whether the cache keeps its values in Redis, shared by every instance: a local
		 * miss reads Redis before loading, a cold key is loaded once across all instances,
		 * and a load writes Redis with the cache's ttl. Needs cached.redis.enabled=true;
		 * without it, the cache stays local (with a warning). Built-in: false.
		 */
		private @Nullable Boolean remote;

		public @Nullable Boolean getRemote() {
			return this.remote;
		}

		public void setRemote(@Nullable Boolean remote) {
			this.remote = remote;
		}

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

	/**
	 * The Redis tier: invalidations that reach every instance, and a shared store for
	 * remote caches.
	 */
	public static class Redis {

		/**
		 * Whether the Redis tier is on: every invalidation, clear and put reaches every
		 * instance, and caches with remote=true share their values. Needs Spring Data Redis
		 * (spring-boot-starter-data-redis) and its RedisConnectionFactory (Lettuce).
		 */
		private boolean enabled;

		/**
		 * Prefix of every Redis key and channel the starter uses, so that an ACL can
		 * confine it.
		 */
		private String keyPrefix = "cached:";

		/**
		 * Bound of every Redis call, whatever the client's own timeout is; a call that takes
		 * longer is abandoned and the caller is answered locally.
		 */
		private Duration timeout = Duration.ofMillis(250);

		/**
		 * How long the lease of an instance loading a key lives unless renewed (it is renewed
		 * while the load runs). If the instance dies, another takes the load over within
		 * this time.
		 */
		private Duration leaseTime = Duration.ofSeconds(10);

		/**
		 * During an outage (3 failed or late Redis calls in a row, or a lost connection), how
		 * long the instance stops calling Redis (calls are answered locally) before it tries
		 * again.
		 */
		private Duration retryAfter = Duration.ofSeconds(5);

		/**
		 * Whether an instance clears its local stores when Redis is back after an outage,
		 * since invalidations sent during the outage were lost.
		 */
		private boolean clearOnReconnect = true;

		/**
		 * How long, at most, an instance serves a value invalidated on another instance once
		 * Redis answers every instance: each cache's version in Redis is checked every half
		 * of it, and a cache that missed a message is cleared locally.
		 */
		private Duration maxStaleness = Duration.ofSeconds(5);

		/**
		 * Largest entry read from or written to Redis: a larger entry found there is not
		 * read (a miss, counted as an error, overwritten by the next load), and a larger
		 * value is not written (it stays local).
		 */
		private DataSize maxValueSize = DataSize.ofMegabytes(1);

		/**
		 * How many writes (invalidations, clears, puts) an instance keeps while Redis does
		 * not take them (down, late, not connected yet), to send them in order when it
		 * answers again. Past it, the kept writes of each cache collapse into one clear of
		 * that cache.
		 */
		private int maxPending = 10000;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getKeyPrefix() {
			return this.keyPrefix;
		}

		public void setKeyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getLeaseTime() {
			return this.leaseTime;
		}

		public void setLeaseTime(Duration leaseTime) {
			this.leaseTime = leaseTime;
		}

		public Duration getRetryAfter() {
			return this.retryAfter;
		}

		public void setRetryAfter(Duration retryAfter) {
			this.retryAfter = retryAfter;
		}

		public Duration getMaxStaleness() {
			return this.maxStaleness;
		}

		public void setMaxStaleness(Duration maxStaleness) {
			this.maxStaleness = maxStaleness;
		}

		public DataSize getMaxValueSize() {
			return this.maxValueSize;
		}

		public void setMaxValueSize(DataSize maxValueSize) {
			this.maxValueSize = maxValueSize;
		}

		public boolean isClearOnReconnect() {
			return this.clearOnReconnect;
		}

		public void setClearOnReconnect(boolean clearOnReconnect) {
			this.clearOnReconnect = clearOnReconnect;
		}

		public int getMaxPending() {
			return this.maxPending;
		}

		public void setMaxPending(int maxPending) {
			this.maxPending = maxPending;
		}

	}

}
