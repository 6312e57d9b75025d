package dev.cached.engine;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * One cache: a Caffeine store, the {@link SingleFlight} in front of it, and its
 * {@link CacheStatistics}. A call for a key is answered from the store, or by joining
 * the running load of that key, or by running the method as the owner of a new load.
 * <p>
 * Expiry stampedes: with {@code ttl-jitter}, each entry's ttl is drawn uniformly in
 * ttl × (1 ± jitter) through Caffeine's variable expiry. With a {@link Refresher}
 * ({@code refresh-after}, {@code early-refresh-beta}), each entry carries its write time,
 * expiry and load time, and a hit the refresher finds due starts one background reload of
 * its key through the single flight, while the hit returns the stored value.
 */
public final class CachedCache {

	private final String name;

	private final CacheSettings settings;

	private final Cache<Object, Object> store;

	private final CacheStatistics statistics = new CacheStatistics();

	private final RemoteStatistics remoteStatistics = new RemoteStatistics();

	private final SingleFlight singleFlight;

	private final Set<String> methods = new CopyOnWriteArraySet<>();

	/** Decides and runs background reloads; {@code null} when the cache does not refresh. */
	private final @Nullable Refresher refresher;

	private final Ticker ticker;

	/** The ttl in nanoseconds, or -1 for none. */
	private final long ttlNanos;

	private final double jitter;

	/** Whether stored entries keep their own expiry and load time (jitter, early refresh). */
	private final boolean timedEntries;

	/** Set by the registry before the cache is published; read by every write. */
	private volatile WriteRepeater writeRepeater = WriteRepeater.NONE;

	/**
	 * The tier shared with the other instances, {@code null} while there is none: set by
	 * the registry; read by every write and, for a remote cache, after a local miss.
	 */
	private volatile @Nullable RemoteCache remote;

	/**
	 * Create a cache that does not refresh ahead.
	 * @param name the cache name
	 * @param settings its effective settings
	 * @param ticker the time source for expiry
	 * @param executor the executor for Caffeine's maintenance work
	 */
	public CachedCache(String name, CacheSettings settings, Ticker ticker, Executor executor) {
		this(name, settings, ticker, executor, null);
	}

	/**
	 * Create a cache.
	 * @param name the cache name
	 * @param settings its effective settings
	 * @param ticker the time source for expiry
	 * @param executor the executor for Caffeine's maintenance work
	 * @param refresher decides and runs background reloads, or {@code null} for a cache
	 * that does not refresh ahead
	 */
	public CachedCache(String name, CacheSettings settings, Ticker ticker, Executor executor,
			@Nullable Refresher refresher) {
		this.name = name;
		this.settings = settings;
		this.refresher = refresher;
		this.ticker = ticker;
		Caffeine<Object, Object> builder = Caffeine.newBuilder()
			.maximumSize(settings.maximumSize())
			.ticker(ticker)
			.executor(executor)
			.evictionListener((key, value, cause) -> this.statistics.recordEviction());
		Duration ttl = settings.ttl().value();
		this.ttlNanos = (ttl != null) ? saturatedNanos(ttl) : -1;
		this.jitter = settings.jitter();
		this.timedEntries = this.jitter > 0 || settings.earlyRefreshBeta().value() != null;
		if (ttl != null && (this.jitter > 0 || settings.isRemote())) {
			// each entry its own expiry: drawn, or what remained of it in the shared tier
			builder.expireAfter(new JitteredExpiry());
		}
		else if (ttl != null) {
			builder.expireAfterWrite(ttl);
		}
		this.store = builder.build();
		this.singleFlight = new SingleFlight(name, new CaffeineStore(), this.statistics,
				settings.waitTimeout().value(), ticker);
	}

	private static long saturatedNanos(Duration duration) {
		try {
			return duration.toNanos();
		}
		catch (ArithmeticException ex) {
			return Long.MAX_VALUE;
		}
	}

	/**
	 * Return the value for {@code key}: from the store, from the running load, or by
	 * running {@code loader} (see {@link SingleFlight} for who runs and who waits).
	 * @param key the key
	 * @param loader the method, run only if this caller owns the load
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return the value, possibly {@code null}
	 * @throws Throwable what {@link SingleFlight#load(Object, SingleFlight.Loader, Object)}
	 * throws
	 */
	public @Nullable Object get(Object key, SingleFlight.Loader loader, Object context) throws Throwable {
		Object stored = this.store.getIfPresent(key);
		if (stored != null) {
			this.statistics.recordHit();
			if (this.refresher != null) {
				return readAhead(key, stored, this.refresher, loader, context);
			}
			return NullValue.unmask(stored);
		}
		return this.singleFlight.load(key, loader, context);
	}

	private @Nullable Object readAhead(Object key, Object stored, Refresher refresher, SingleFlight.Loader loader,
			Object context) {
		if (!(stored instanceof StoredEntry entry)) {
			return NullValue.unmask(stored);
		}
		Object value = NullValue.unmask(entry.value);
		long now = this.ticker.read();
		long expiresAt = entry.expiresAt(this.ttlNanos);
		long remaining = (expiresAt == Long.MAX_VALUE) ? Long.MAX_VALUE : expiresAt - now;
		if (refresher.isDue(now - entry.writtenAt, remaining, entry.loadNanos())) {
			this.singleFlight.refresh(key, entry, value, loader, context, refresher);
		}
		return value;
	}

	/**
	 * {@link #readAhead} for an asynchronous method: the background reload waits for the
	 * method's future on the refresh executor.
	 */
	private @Nullable Object readAheadAsync(Object key, Object stored, Refresher refresher,
			SingleFlight.AsyncLoader loader, Object context) {
		if (!(stored instanceof StoredEntry entry)) {
			return NullValue.unmask(stored);
		}
		Object value = NullValue.unmask(entry.value);
		long now = this.ticker.read();
		long expiresAt = entry.expiresAt(this.ttlNanos);
		long remaining = (expiresAt == Long.MAX_VALUE) ? Long.MAX_VALUE : expiresAt - now;
		if (refresher.isDue(now - entry.writtenAt, remaining, entry.loadNanos())) {
			this.singleFlight.refresh(key, entry, value, new SingleFlight.BlockingLoader(loader), context, refresher);
		}
		return value;
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
		if (this.refresher == null) {
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
	 * Return a future of the value for {@code key}, for a method whose result is a future
	 * or a publisher: completed at once from the store, or by the running load, or by
	 * starting {@code loader} as the owner of a new load (see
	 * {@link SingleFlight#loadAsync(Object, SingleFlight.AsyncLoader, Object)}). Never
	 * blocks; the future is this caller's own.
	 * @param key the key
	 * @param loader the method, started only if this caller owns the load
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return this caller's future of the value, possibly completed with {@code null}
	 */
	public CompletableFuture<@Nullable Object> getAsync(Object key, SingleFlight.AsyncLoader loader,
			Object context) {
		Object stored = this.store.getIfPresent(key);
		if (stored != null) {
			this.statistics.recordHit();
			if (this.refresher != null) {
				return CompletableFuture.completedFuture(readAheadAsync(key, stored, this.refresher, loader, context));
			}
			return CompletableFuture.completedFuture(NullValue.unmask(stored));
		}
		return this.singleFlight.loadAsync(key, loader, context);
	}

	/**
	 * Return the stored value without loading or counting, for views such as Spring's
	 * {@code Cache}.
	 * @param key the key
	 * @return the masked value ({@code null} results come back as a marker), or
	 * {@code null} if absent
	 */
	public @Nullable Object peek(Object key) {
		return StoredEntry.masked(this.store.getIfPresent(key));
	}

	/**
	 * Unmask a value returned by {@link #peek(Object)}.
	 * @param stored the stored value
	 * @return the value it stands for
	 */
	public static @Nullable Object unmask(Object stored) {
		return NullValue.unmask(stored);
	}

	/**
	 * Store a value directly, replacing the entry ({@code @CachePut}). The put wins over a
	 * load of that key running now: the load still answers its callers, but its result is
	 * not stored (as after {@link #invalidate(Object)}). A {@code null} value in a cache
	 * that does not store {@code null} removes the entry instead. Inside a unit of work
	 * that the {@link WriteRepeater} sees (a transaction), the value is put again when it
	 * commits and removed if it rolls back.
	 * @param key the key
	 * @param value the value
	 */
	public void put(Object key, @Nullable Object value) {
		putNow(key, value);
		this.writeRepeater.repeat(() -> putNow(key, value), () -> invalidateNow(key));
	}

	private void putNow(Object key, @Nullable Object value) {
		if (value == null && !this.settings.isCacheNullValues()) {
			invalidateNow(key);
			return;
		}
		RemoteCache remote = this.remote;
		if (remote != null) {
			// the shared tier first, so that no instance reads the old value there again
			remote.put(key, value, this.settings.isRemote() ? drawTtlNanos() : -1);
		}
		// detach first: a load registered before this point never publishes over the put
		this.singleFlight.invalidate(key);
		this.store.put(key, stamp(NullValue.mask(value), 0));
		this.statistics.recordPut();
	}

	/**
	 * Remove {@code key}. A load of it running now still answers its callers, but its
	 * result is not stored. Inside a unit of work that the {@link WriteRepeater} sees (a
	 * transaction), the key is removed again when it ends, with the same effect on the
	 * loads running then.
	 * @param key the key
	 */
	public void invalidate(Object key) {
		invalidateNow(key);
		this.writeRepeater.repeat(() -> invalidateNow(key), () -> invalidateNow(key));
	}

	private void invalidateNow(Object key) {
		RemoteCache remote = this.remote;
		if (remote != null) {
			// the shared tier first, so that no instance reads the old value there again
			remote.invalidate(key);
		}
		invalidateLocally(key);
	}

	/**
	 * Remove {@code key} from this instance's store only, as another instance's
	 * invalidation does: a load of it running here follows G8; nothing is sent to the
	 * shared tier and nothing is repeated after a transaction.
	 * @param key the key
	 */
	public void invalidateLocally(Object key) {
		this.singleFlight.invalidate(key);
		this.store.invalidate(key);
	}

	/**
	 * Remove every key that {@code keys} accepts from this instance's store only (see
	 * {@link #invalidateLocally(Object)}), loads running now included: for an invalidation
	 * that names a key by its form in the shared tier.
	 * @param keys the keys to remove
	 */
	public void invalidateLocally(java.util.function.Predicate<Object> keys) {
		this.singleFlight.invalidateIf(keys);
		this.store.asMap().keySet().removeIf(keys);
	}

	/**
	 * Remove every entry. Loads running now still answer their callers, but their results
	 * are not stored. Inside a unit of work that the {@link WriteRepeater} sees (a
	 * transaction), every entry is removed again when it ends.
	 */
	public void invalidateAll() {
		invalidateAllNow();
		this.writeRepeater.repeat(this::invalidateAllNow, this::invalidateAllNow);
	}

	private void invalidateAllNow() {
		RemoteCache remote = this.remote;
		if (remote != null) {
			remote.invalidateAll();
		}
		invalidateAllLocally();
	}

	/**
	 * Remove every entry from this instance's store only, as another instance's clear
	 * does (see {@link #invalidateLocally(Object)}).
	 */
	public void invalidateAllLocally() {
		this.singleFlight.invalidateAll();
		this.store.invalidateAll();
	}

	/**
	 * Remove every stored entry of this instance's store only, leaving the loads running
	 * now alone (their values are stored as usual): for a store that may hold values an
	 * invalidation should have removed while this instance could not hear it.
	 */
	public void clearStoredLocally() {
		this.store.invalidateAll();
	}

	void setWriteRepeater(WriteRepeater writeRepeater) {
		this.writeRepeater = writeRepeater;
	}

	void setRemote(@Nullable RemoteCache remote) {
		this.remote = remote;
	}

	/**
	 * Return the shared tier this cache is attached to.
	 * @return the cache's view of the tier, or {@code null} when there is none
	 */
	public @Nullable RemoteCache getRemote() {
		return this.remote;
	}

	/**
	 * Whether this cache's values live in the shared tier now: its settings say remote and
	 * a tier is attached.
	 * @return whether the cache is remote
	 */
	public boolean isRemoteActive() {
		return this.remote != null && this.settings.isRemote();
	}

	/**
	 * Return the cache name.
	 * @return the name
	 */
	public String getName() {
		return this.name;
	}

	/**
	 * Return the effective settings.
	 * @return the settings
	 */
	public CacheSettings getSettings() {
		return this.settings;
	}

	/**
	 * Return the counters.
	 * @return the statistics
	 */
	public CacheStatistics getStatistics() {
		return this.statistics;
	}

	/**
	 * Return the counters of the shared tier (zero while the cache is not remote).
	 * @return the remote statistics
	 */
	public RemoteStatistics getRemoteStatistics() {
		return this.remoteStatistics;
	}

	/**
	 * Return the approximate number of stored entries.
	 * @return the size
	 */
	public long estimatedSize() {
		return this.store.estimatedSize();
	}

	/**
	 * Return the number of keys with a load in flight.
	 * @return the keys in flight
	 */
	public int inFlightKeys() {
		return this.singleFlight.inFlightKeys();
	}

	/**
	 * Return the methods that use this cache, e.g.
	 * {@code com.example.RuleService.getAllRules()}.
	 * @return the method descriptions, in registration order
	 */
	public List<String> getMethods() {
		return List.copyOf(this.methods);
	}

	void addMethod(String method) {
		this.methods.add(method);
	}

	/**
	 * Return the underlying Caffeine cache, for tests and integrations. Writing to it
	 * bypasses single flight and statistics. In a cache that refreshes ahead, its values
	 * carry metadata; read values through {@link #peek(Object)}.
	 * @return the store
	 */
	public Cache<Object, Object> getNativeCache() {
		return this.store;
	}

	private final class CaffeineStore implements SingleFlight.Store {

		@Override
		public @Nullable Object lookup(Object key) {
			return StoredEntry.masked(CachedCache.this.store.getIfPresent(key));
		}

		@Override
		public void publish(Object key, @Nullable Object value, SingleFlight.Load load) {
			if (value == null && !CachedCache.this.settings.isCacheNullValues()) {
				return;
			}
			Object stored = stamp(NullValue.mask(value), load.loadNanos());
			Object replaces = load.replaces();
			Object result = CachedCache.this.store.asMap().compute(key, (k, old) -> {
				if (load.isInvalidated()) {
					// G8: an invalidation while the load ran wins
					return old;
				}
				if (replaces != null && old != null && old != replaces) {
					// a reload never overwrites a value written after the entry it started from
					return old;
				}
				return stored;
			});
			if (result == stored) {
				CachedCache.this.statistics.recordPut();
				RemoteCache remote = sharedTier();
				if (remote != null && load.attachment() != null) {
					remote.write(key, value, load, drawTtlNanos());
				}
			}
		}

		private @Nullable RemoteCache sharedTier() {
			RemoteCache remote = CachedCache.this.remote;
			return (remote != null && CachedCache.this.settings.isRemote()) ? remote : null;
		}

		@Override
		public boolean isShared() {
			return sharedTier() != null;
		}

		@Override
		public @Nullable Object lookupShared(Object key, SingleFlight.Load load) {
			RemoteCache remote = sharedTier();
			if (remote == null) {
				return null;
			}
			RemoteCache.Found found = remote.lookup(key, load, CachedCache.this.settings.waitTimeout().value());
			if (found == null || (found.value() == null && !CachedCache.this.settings.isCacheNullValues())) {
				return null;
			}
			Object masked = NullValue.mask(found.value());
			storeShared(key, masked, found.remainingNanos(), load);
			return masked;
		}

		@Override
		public void loadEnded(Object key, SingleFlight.Load load) {
			if (load.attachment() != null) {
				RemoteCache remote = CachedCache.this.remote;
				if (remote != null) {
					remote.release(key, load);
				}
			}
		}

		@Override
		public boolean beginReload(Object key, SingleFlight.Load load) {
			RemoteCache remote = sharedTier();
			if (remote == null) {
				return true;
			}
			// another instance may have reloaded the key already: take its value instead
			RemoteCache.Found found = remote.peek(key);
			Object replaces = load.replaces();
			if (found != null && replaces instanceof StoredEntry entry
					&& (found.value() != null || CachedCache.this.settings.isCacheNullValues())) {
				long now = CachedCache.this.ticker.read();
				long expiresAt = entry.expiresAt(CachedCache.this.ttlNanos);
				long localRemaining = (expiresAt == Long.MAX_VALUE) ? Long.MAX_VALUE : expiresAt - now;
				// fresher only if written well after the local copy: this instance's own write
				// reaches the tier a moment after it stamped its copy, and jitter draws each
				// copy's ttl apart
				long margin = (now - entry.writtenAt) / 2
						+ (long) (2 * CachedCache.this.jitter * Math.max(0, CachedCache.this.ttlNanos));
				if (found.remainingNanos() >= 0 && localRemaining != Long.MAX_VALUE
						&& found.remainingNanos() - localRemaining > margin) {
					Object fresher = sharedEntry(NullValue.mask(found.value()), found.remainingNanos());
					CachedCache.this.store.asMap()
						.computeIfPresent(key, (k, old) -> (old == replaces && !load.isInvalidated()) ? fresher : old);
					return false;
				}
			}
			return remote.tryLease(key, load);
		}

		@Override
		public void reloadEnded(Object key, SingleFlight.Load load) {
			loadEnded(key, load);
		}

	}

	/**
	 * Store a value read from the shared tier for at most what remained of it there (and
	 * never longer than the cache's ttl), unless {@code load} was invalidated meanwhile
	 * (G8) or a value was stored meanwhile. A cache that refreshes keeps the time in its
	 * entry; any other keeps the bare value with an expiry of its own (so that its hits
	 * read entries exactly as a cache without a shared tier does).
	 */
	private void storeShared(Object key, Object masked, long remainingNanos, SingleFlight.Load load) {
		if (this.refresher != null || this.ttlNanos < 0) {
			Object entry = sharedEntry(masked, remainingNanos);
			this.store.asMap().compute(key, (k, old) -> (load.isInvalidated() || old != null) ? old : entry);
			return;
		}
		long ttl = (remainingNanos >= 0) ? Math.min(remainingNanos, this.ttlNanos) : this.ttlNanos;
		com.github.benmanes.caffeine.cache.Policy.VarExpiration<Object, Object> expiry = this.store.policy()
			.expireVariably()
			.orElseThrow();
		expiry.compute(key, (k, old) -> (load.isInvalidated() || old != null) ? old : masked,
				Duration.ofNanos(Math.max(1, ttl)));
	}

	/**
	 * Return the local entry for a value read from the shared tier, in a cache that keeps
	 * times in its entries (or has no ttl): it lives here for at most what remained of it
	 * there (and never longer than the cache's ttl).
	 */
	private Object sharedEntry(Object masked, long remainingNanos) {
		long now = this.ticker.read();
		if (this.ttlNanos < 0) {
			return (this.refresher != null) ? new StoredEntry(masked, now) : masked;
		}
		long ttl = (remainingNanos >= 0) ? Math.min(remainingNanos, this.ttlNanos) : this.ttlNanos;
		long expiresAt = (now > Long.MAX_VALUE - ttl) ? Long.MAX_VALUE : now + Math.max(1, ttl);
		return new StoredEntry.Timed(masked, now, expiresAt, 0);
	}

	/**
	 * Each entry lives for its own drawn ttl from its last write: the one its metadata
	 * carries, or a new draw for a value stored without metadata.
	 */
	private final class JitteredExpiry implements Expiry<Object, Object> {

		@Override
		public long expireAfterCreate(Object key, Object value, long currentTime) {
			if (value instanceof StoredEntry entry) {
				long expiresAt = entry.expiresAt(CachedCache.this.ttlNanos);
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
