package dev.cached.engine;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * The local store of one cache: a Caffeine cache and the shape of its entries.
 * <ul>
 * <li>A cache that neither refreshes nor jitters stores the masked value itself
 * ({@link NullValue}), with Caffeine's expiry after write.</li>
 * <li>A cache that refreshes ahead stores a {@link StoredEntry} with its write time (and,
 * for early refresh or jitter, its own expiry and load time), so that a hit can tell
 * whether it is due.</li>
 * <li>With {@code ttl-jitter}, each entry's ttl is drawn uniformly in ttl × (1 ± jitter)
 * through Caffeine's variable expiry; so is the ttl of a value a shared tier answered,
 * which lives here no longer than it had left there.</li>
 * </ul>
 */
final class CaffeineStore implements Store {

	private final CacheSettings settings;

	private final CacheStatistics statistics;

	private final Cache<Object, Object> cache;

	private final Ticker ticker;

	/** The ttl in nanoseconds, or -1 for none. */
	private final long ttlNanos;

	private final double jitter;

	/** Whether entries carry their write time (refresh-ahead). */
	private final boolean refreshing;

	/** Whether stored entries keep their own expiry and load time (jitter, early refresh). */
	private final boolean timedEntries;

	/**
	 * The keys by their form in a shared tier, or {@code null} while the cache has none:
	 * set once when the cache is attached to a tier, read by every write and removal.
	 */
	private volatile @Nullable KeyIndex index;

	/**
	 * The key this thread is writing now, while the store is indexed: an eviction Caffeine
	 * reports within that write (an expired entry the write replaces) leaves the key
	 * indexed, since the write stores it again.
	 */
	private final ThreadLocal<@Nullable Object> writing = new ThreadLocal<>();

	CaffeineStore(CacheSettings settings, CacheStatistics statistics, Ticker ticker, Executor executor,
			boolean refreshing) {
		this.settings = settings;
		this.statistics = statistics;
		this.ticker = ticker;
		this.refreshing = refreshing;
		Caffeine<Object, Object> builder = Caffeine.newBuilder()
			.maximumSize(settings.maximumSize())
			.ticker(ticker)
			.executor(executor)
			.evictionListener((key, value, cause) -> evicted(key));
		Duration ttl = settings.ttl().value();
		this.ttlNanos = (ttl != null) ? saturatedNanos(ttl) : -1;
		this.jitter = settings.jitter();
		this.timedEntries = this.jitter > 0 || settings.earlyRefreshBeta().value() != null;
		if (ttl != null && (this.jitter > 0 || settings.isRemote())) {
			// each entry its own expiry: drawn, or what remained of it in the shared tier
			builder.expireAfter(new EntryExpiry());
		}
		else if (ttl != null) {
			builder.expireAfterWrite(ttl);
		}
		this.cache = builder.build();
	}

	private static long saturatedNanos(Duration duration) {
		try {
			return duration.toNanos();
		}
		catch (ArithmeticException ex) {
			return Long.MAX_VALUE;
		}
	}

	Cache<Object, Object> cache() {
		return this.cache;
	}

	@Override
	public @Nullable Object lookup(Object key) {
		return StoredEntry.masked(this.cache.getIfPresent(key));
	}

	@Override
	public void publish(Object key, @Nullable Object value, Load load) {
		if (value == null && !this.settings.isCacheNullValues()) {
			return;
		}
		Object masked = NullValue.mask(value);
		if (load.isFromSharedTier()) {
			storeShared(key, masked, load);
			return;
		}
		Object stored = stamp(masked, load.loadNanos());
		Object replaces = load.replaces();
		Object result = write(key, () -> this.cache.asMap().compute(key, (k, old) -> {
			if (load.isInvalidated()) {
				// G8: an invalidation while the load ran wins
				return old;
			}
			if (replaces != null && old != null && old != replaces) {
				// a reload never overwrites a value written after the entry it started from
				return old;
			}
			return indexed(k, stored);
		}));
		if (result == stored) {
			this.statistics.recordPut();
		}
	}

	/**
	 * Store a value a shared tier answered, for at most what remained of it there (and
	 * never longer than the cache's ttl), unless the load was invalidated meanwhile (G8) or
	 * another value was stored meanwhile: a load keeps any entry it finds, a reload any
	 * entry but the one it started from. Not counted as a put: no call wrote it.
	 */
	private void storeShared(Object key, Object masked, Load load) {
		Object replaces = load.replaces();
		long remaining = load.sharedRemainingNanos();
		if (this.refreshing || this.ttlNanos < 0) {
			Object entry = sharedEntry(masked, remaining);
			write(key, () -> this.cache.asMap()
				.compute(key, (k, old) -> keepsOld(load, replaces, old) ? old : indexed(k, entry)));
			return;
		}
		long ttl = (remaining >= 0) ? Math.min(remaining, this.ttlNanos) : this.ttlNanos;
		Policy.VarExpiration<Object, Object> expiry = this.cache.policy().expireVariably().orElseThrow();
		write(key, () -> expiry.compute(key, (k, old) -> keepsOld(load, replaces, old) ? old : indexed(k, masked),
				Duration.ofNanos(Math.max(1, ttl))));
	}

	private static boolean keepsOld(Load load, @Nullable Object replaces, @Nullable Object old) {
		return load.isInvalidated() || ((replaces != null) ? old != replaces : old != null);
	}

	/**
	 * Return the local entry for a value read from a shared tier, in a cache that keeps
	 * times in its entries (or has no ttl): it lives here for at most what remained of it
	 * there (and never longer than the cache's ttl).
	 */
	private Object sharedEntry(Object masked, long remainingNanos) {
		long now = this.ticker.read();
		if (this.ttlNanos < 0) {
			return this.refreshing ? new StoredEntry(masked, now) : masked;
		}
		long ttl = (remainingNanos >= 0) ? Math.min(remainingNanos, this.ttlNanos) : this.ttlNanos;
		long expiresAt = (now > Long.MAX_VALUE - ttl) ? Long.MAX_VALUE : now + Math.max(1, ttl);
		return new StoredEntry.Timed(masked, now, expiresAt, 0);
	}

	/** Store a value directly ({@code @CachePut}), replacing the entry. */
	void put(Object key, @Nullable Object value) {
		Object stored = stamp(NullValue.mask(value), 0);
		if (this.index == null) {
			this.cache.put(key, stored);
			return;
		}
		write(key, () -> this.cache.asMap().compute(key, (k, old) -> indexed(k, stored)));
	}

	/** Remove {@code key} (and it from the index, in the same atomic operation). */
	void remove(Object key) {
		KeyIndex index = this.index;
		if (index == null) {
			this.cache.invalidate(key);
			return;
		}
		this.cache.asMap().compute(key, (k, old) -> {
			index.remove(k);
			return null;
		});
	}

	/** Remove every entry (and each from the index, in the atomic operation that removes it). */
	void removeAll() {
		if (this.index == null) {
			this.cache.invalidateAll();
			return;
		}
		for (Object key : this.cache.asMap().keySet()) {
			remove(key);
		}
	}

	/**
	 * Index the keys by their form in a shared tier from now on; keys stored already are
	 * indexed at once. Called once, when the cache is attached to the tier, before it is
	 * used.
	 * @param index the empty index
	 */
	void index(KeyIndex index) {
		this.index = index;
		for (Object key : this.cache.asMap().keySet()) {
			index.add(key);
		}
	}

	@Nullable KeyIndex index() {
		return this.index;
	}

	/** Run a write of {@code key}, telling the eviction listener which key it writes. */
	private <T> T write(Object key, Supplier<T> write) {
		if (this.index == null) {
			return write.get();
		}
		this.writing.set(key);
		try {
			return write.get();
		}
		finally {
			this.writing.remove();
		}
	}

	/** Index {@code key}, about to be stored with {@code value} in the current atomic operation. */
	private Object indexed(Object key, Object value) {
		KeyIndex index = this.index;
		if (index != null) {
			index.add(key);
		}
		return value;
	}

	/** Caffeine evicted {@code key} (size or expiry), within the atomic operation that evicts it. */
	private void evicted(@Nullable Object key) {
		this.statistics.recordEviction();
		KeyIndex index = this.index;
		if (index != null && key != null && !key.equals(this.writing.get())) {
			index.remove(key);
		}
	}

	/**
	 * Return the time to live of an entry written now: the ttl, drawn uniformly in
	 * ttl × (1 ± jitter) when the cache has a jitter, or -1 for no ttl.
	 */
	long drawTtlNanos() {
		if (this.ttlNanos < 0 || this.jitter <= 0) {
			return this.ttlNanos;
		}
		double factor = 1 + this.jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
		return Math.max(1, (long) (this.ttlNanos * factor));
	}

	private Object stamp(Object masked, long loadNanos) {
		if (!this.refreshing) {
			return masked;
		}
		long now = this.ticker.read();
		if (!this.timedEntries) {
			return new StoredEntry(masked, now);
		}
		long ttl = drawTtlNanos();
		long expiresAt = (ttl < 0 || now > Long.MAX_VALUE - ttl) ? Long.MAX_VALUE : now + ttl;
		return new StoredEntry.Timed(masked, now, expiresAt, loadNanos);
	}

	/**
	 * Return the time {@code entry} has left to live.
	 * @param entry a stored entry
	 * @param now the ticker's time
	 * @return the remaining nanoseconds, {@link Long#MAX_VALUE} for no ttl
	 */
	long remainingNanos(StoredEntry entry, long now) {
		long expiresAt = entry.expiresAt(this.ttlNanos);
		return (expiresAt == Long.MAX_VALUE) ? Long.MAX_VALUE : expiresAt - now;
	}

	/**
	 * Return how long a shared tier's value of a stale {@code entry} must still live to be
	 * taken instead of reloading: well longer than the entry has left, since this
	 * instance's own write reaches the tier a moment after it stamped its copy, and jitter
	 * draws each copy's ttl apart.
	 * @param entry the stale entry
	 * @param now the ticker's time
	 * @return the nanoseconds, {@link Long#MAX_VALUE} for never
	 */
	long takeSharedAbove(StoredEntry entry, long now) {
		long remaining = remainingNanos(entry, now);
		if (remaining == Long.MAX_VALUE) {
			return Long.MAX_VALUE;
		}
		long margin = (now - entry.writtenAt) / 2 + (long) (2 * this.jitter * Math.max(0, this.ttlNanos));
		return (remaining > Long.MAX_VALUE - margin) ? Long.MAX_VALUE : remaining + margin;
	}

	/**
	 * Each entry lives for its own ttl from its last write: the one its metadata carries, or
	 * a new draw for a value stored without metadata.
	 */
	private final class EntryExpiry implements Expiry<Object, Object> {

		@Override
		public long expireAfterCreate(Object key, Object value, long currentTime) {
			if (value instanceof StoredEntry entry) {
				long expiresAt = entry.expiresAt(CaffeineStore.this.ttlNanos);
				return (expiresAt == Long.MAX_VALUE) ? Long.MAX_VALUE : expiresAt - entry.writtenAt;
			}
			return drawTtlNanos();
		}

		@Override
		public long expireAfterUpdate(Object key, Object value, long currentTime, long currentDuration) {
			return expireAfterCreate(key, value, currentTime);
		}

		@Override
		public long expireAfterRead(Object key, Object value, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

}
