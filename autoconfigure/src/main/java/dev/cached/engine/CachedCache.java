package dev.cached.engine;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executor;
import java.util.function.Function;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * One cache: a Caffeine store, the {@link SingleFlight} in front of it, its
 * {@link CacheStatistics}, and its view of a tier shared with other instances
 * ({@link RemoteCache}, {@link RemoteCache#LOCAL} when there is none). A call for a key is
 * answered from the store, or by joining the running load of that key, or as the owner of
 * a new load, which obtains the value through the tier. Every write (put, invalidation,
 * clear) reaches the tier first, then the local store (see {@link CacheLinks}).
 * <p>
 * Expiry stampedes: with a {@link Refresher} ({@code refresh-after},
 * {@code early-refresh-beta}), each entry carries its write time (see
 * {@link CaffeineStore}), and a hit the refresher finds due starts one background reload
 * of its key through the single flight, while the hit returns the stored value.
 */
public final class CachedCache {

	private final String name;

	private final CacheSettings settings;

	private final CacheStatistics statistics = new CacheStatistics();

	private final CaffeineStore entries;

	/** The Caffeine cache of {@link #entries}, read directly on the hit path. */
	private final Cache<Object, Object> store;

	private final SingleFlight singleFlight;

	private final BulkFlight bulkFlight;

	private final AsyncBulkFlight asyncBulkFlight;

	private final Set<String> methods = new CopyOnWriteArraySet<>();

	/** Decides and runs background reloads; {@code null} when the cache does not refresh. */
	private final @Nullable Refresher refresher;

	private final Ticker ticker;

	/** The tier, repeater and observer, set by the registry, and what goes through them. */
	final CacheLinks links;

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
		this.entries = new CaffeineStore(settings, this.statistics, ticker, executor, refresher != null);
		this.store = this.entries.cache();
		this.singleFlight = new SingleFlight(name, this.entries, this.statistics, settings.waitTimeout().value(),
				ticker);
		this.bulkFlight = new BulkFlight(this.singleFlight);
		this.asyncBulkFlight = new AsyncBulkFlight(this.singleFlight);
		this.links = new CacheLinks(name, settings, this.statistics, this.entries, this.singleFlight);
	}

	/**
	 * Return the value for {@code key}: from the store, from the running load, or by
	 * running {@code loader} (see {@link SingleFlight} for who runs and who waits).
	 * @param key the key
	 * @param loader the method, run only if this caller owns the load
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return the value, possibly {@code null}
	 * @throws Throwable what {@link SingleFlight#load(Object, Loader, Object)} throws
	 */
	public @Nullable Object get(Object key, Loader loader, Object context) throws Throwable {
		Object stored = this.store.getIfPresent(key);
		if (stored != null) {
			this.statistics.recordHit();
			if (this.refresher != null) {
				return ReloadFlight.readAhead(this.singleFlight, this.entries, this.ticker, key, stored, this.refresher, loader,
						context);
			}
			return NullValue.unmask(stored);
		}
		return this.singleFlight.load(key, loader, context);
	}

	/**
	 * Return a future of the value for {@code key}, for a method whose result is a future
	 * or a publisher: completed at once from the store, or by the running load, or by
	 * starting {@code loader} as the owner of a new load (see
	 * {@link SingleFlight#loadAsync(Object, AsyncLoader, Object)}). Never blocks; the
	 * future is this caller's own.
	 * @param key the key
	 * @param loader the method, started only if this caller owns the load
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return this caller's future of the value, possibly completed with {@code null}
	 */
	public CompletableFuture<@Nullable Object> getAsync(Object key, AsyncLoader loader, Object context) {
		Object stored = this.store.getIfPresent(key);
		if (stored != null) {
			this.statistics.recordHit();
			if (this.refresher != null) {
				// the background reload waits for the method's future on the refresh executor
				return CompletableFuture
					.completedFuture(ReloadFlight.readAhead(this.singleFlight, this.entries, this.ticker, key, stored,
							this.refresher, ReloadFlight.blocking(loader), context));
			}
			return CompletableFuture.completedFuture(NullValue.unmask(stored));
		}
		return this.singleFlight.loadAsync(key, loader, context);
	}

	/**
	 * Return the value of each key, for a bulk method: from the store, from the running
	 * load of that key, or from one execution of {@code loader} for the keys left (see
	 * {@link BulkFlight}). A stored value is returned as it is; no background reload starts.
	 * @param keys the keys, distinct, in the caller's order
	 * @param loader the bulk method, run at most once here for the keys this caller owns
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return the values in the order of {@code keys}, {@code null} for none
	 * @throws Throwable what the loader threw (the same instance to every caller waiting on
	 * one of its keys), a joined load's failure, or what
	 * {@link SingleFlight#load(Object, Loader, Object)} throws for one key
	 */
	public @Nullable Object[] getAll(List<Object> keys, BulkLoader loader, Object context) throws Throwable {
		return this.bulkFlight.load(keys, loader, context);
	}

	/**
	 * {@link #getAll} for a bulk method whose answer is a future or a publisher (see
	 * {@link AsyncBulkFlight}): never blocks, never throws; the future is this caller's own
	 * and completes with the values in the order of {@code keys}, or with the failure.
	 * @param keys the keys, distinct, in the caller's order
	 * @param loader the bulk method, started at most once here for the keys this caller owns
	 * @param context this caller's argument to the loader (its method invocation)
	 * @return this caller's future of the values ({@code null}: none)
	 */
	public CompletableFuture<@Nullable Object[]> getAllAsync(List<Object> keys, AsyncBulkLoader loader,
			Object context) {
		return this.asyncBulkFlight.load(keys, loader, context);
	}

	/**
	 * Return the time to live of an entry written now: the ttl, drawn uniformly in
	 * ttl × (1 ± jitter) when the cache has a jitter, or -1 for no ttl. A shared tier
	 * writes its copies with this ttl too.
	 * @return the ttl in nanoseconds, or -1
	 */
	public long drawTtlNanos() {
		return this.entries.drawTtlNanos();
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
		this.links.put(key, value);
	}

	/**
	 * Store a value in this instance's store only, as {@link #put(Object, Object)} does,
	 * without reaching the shared tier, counting a put, or repeating it after a
	 * transaction: for tests and integrations that prepare a store (unlike a write to
	 * {@link #getNativeCache()}, an invalidation from another instance finds it).
	 * @param key the key
	 * @param value the value
	 */
	public void putLocally(Object key, @Nullable Object value) {
		this.links.putLocally(key, value);
	}

	/**
	 * Remove {@code key}. A load of it running now still answers its callers, but its
	 * result is not stored. Inside a unit of work that the {@link WriteRepeater} sees (a
	 * transaction), the key is removed again when it ends, with the same effect on the
	 * loads running then.
	 * @param key the key
	 */
	public void invalidate(Object key) {
		this.links.invalidate(key);
	}

	/**
	 * Remove {@code key} from this instance's store only, as another instance's
	 * invalidation does: a load of it running here follows G8; nothing is sent to the
	 * shared tier and nothing is repeated after a transaction.
	 * @param key the key
	 */
	public void invalidateLocally(Object key) {
		this.links.invalidateLocally(key);
	}

	/**
	 * Index this cache's keys by the form in which a shared tier names them, for
	 * {@link #invalidateLocallyByForm(String)}: from now on every write computes its key's
	 * form once (the hit path is unchanged). Called once, when the cache is attached to the
	 * tier, before it is used.
	 * @param form the form of a key, {@code null} for a key that has none
	 */
	public void indexKeys(Function<Object, @Nullable String> form) {
		this.links.indexKeys(form);
	}

	/**
	 * Remove every key that {@code form} names from this instance's store only, as
	 * {@link #invalidateLocally(Object)} does for one key, loads running now included: for
	 * an invalidation that another instance sent by the key's form. O(1) in the size of the
	 * store: the stored keys are found in the index, and only the keys of the loads in
	 * flight (few) have their form computed.
	 * @param form the form
	 * @throws IllegalStateException if the keys are not indexed ({@link #indexKeys})
	 */
	public void invalidateLocallyByForm(String form) {
		this.links.invalidateLocallyByForm(form);
	}

	/**
	 * Remove every entry. Loads running now still answer their callers, but their results
	 * are not stored. Inside a unit of work that the {@link WriteRepeater} sees (a
	 * transaction), every entry is removed again when it ends.
	 */
	public void invalidateAll() {
		this.links.invalidateAll();
	}

	/**
	 * Remove every entry from this instance's store only, as another instance's clear
	 * does (see {@link #invalidateLocally(Object)}).
	 */
	public void invalidateAllLocally() {
		this.links.invalidateAllLocally();
	}

	/**
	 * Remove every stored entry of this instance's store only, leaving the loads running
	 * now alone (their values are stored as usual): for a store that may hold values an
	 * invalidation should have removed while this instance could not hear it.
	 */
	public void clearStoredLocally() {
		this.entries.removeAll();
	}

	/**
	 * Make a load's observation current on this thread, for the steps a shared tier takes
	 * for that load on other threads (an asynchronous load's Redis write, or its next look
	 * after another instance's lease), so that what they observe is part of the load.
	 * @param load the load
	 * @return what to close, on this thread, when the step is done
	 */
	public LoadObserver.Scope openScope(Load load) {
		return this.links.openScope(load);
	}

	/**
	 * Return the shared tier this cache is attached to.
	 * @return the cache's view of the tier, or {@code null} when there is none
	 */
	public @Nullable RemoteCache getRemote() {
		RemoteCache remote = this.links.remote();
		return (remote != RemoteCache.LOCAL) ? remote : null;
	}

	/**
	 * Whether this cache's values live in the shared tier now: its settings say remote and
	 * a tier is attached.
	 * @return whether the cache is remote
	 */
	public boolean isRemoteActive() {
		return this.links.remote() != RemoteCache.LOCAL && this.settings.isRemote();
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
		return this.links.remoteStatistics();
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
	 * bypasses single flight, statistics and the index of keys by form (so an
	 * invalidation from another instance may miss what was written here). In a cache that refreshes ahead, its values
	 * carry metadata; read values through {@link #peek(Object)}.
	 * @return the store
	 */
	public Cache<Object, Object> getNativeCache() {
		return this.store;
	}

}
