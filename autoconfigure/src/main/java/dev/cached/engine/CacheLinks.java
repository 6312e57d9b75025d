package dev.cached.engine;

import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * What one {@link CachedCache} is linked to once the {@link CacheRegistry} has created it
 * (the tier shared with other instances, {@link RemoteCache#LOCAL} while there is none;
 * the {@link WriteRepeater}; the {@link LoadObserver}), and the cache's work that goes
 * through these links: its writes (put, invalidation, clear), what other instances send it
 * (applied "locally", by key or by the key's form in the {@link KeyIndex}), and the scope
 * of a load's observation for the tier's steps on other threads.
 * <p>
 * A write reaches the tier first, then detaches the key's running load in the
 * {@link SingleFlight} (the load answers its callers but stores nothing), then the local
 * store; a local write skips the tier and the repeater. Reading a value never comes here:
 * {@link CachedCache} reads the store and calls the single flight itself.
 */
final class CacheLinks {

	private final String name;

	private final CacheSettings settings;

	private final CacheStatistics statistics;

	private final CaffeineStore entries;

	private final SingleFlight singleFlight;

	/** Counted by the tier; zero while the cache is not remote. */
	private final RemoteStatistics remoteStatistics = new RemoteStatistics();

	/** Set by the registry before the cache is published; read by every write. */
	private volatile WriteRepeater writeRepeater = WriteRepeater.NONE;

	/**
	 * The tier shared with the other instances, {@link RemoteCache#LOCAL} while there is
	 * none: set by the registry; read by every write (the single flight reads it on every
	 * load).
	 */
	private volatile RemoteCache remote = RemoteCache.LOCAL;

	CacheLinks(String name, CacheSettings settings, CacheStatistics statistics, CaffeineStore entries,
			SingleFlight singleFlight) {
		this.name = name;
		this.settings = settings;
		this.statistics = statistics;
		this.entries = entries;
		this.singleFlight = singleFlight;
	}

	/** See {@link CachedCache#put(Object, Object)}. */
	void put(Object key, @Nullable Object value) {
		putNow(key, value);
		this.writeRepeater.repeat(() -> putNow(key, value), () -> invalidateNow(key));
	}

	private void putNow(Object key, @Nullable Object value) {
		if (value == null && !this.settings.isCacheNullValues()) {
			invalidateNow(key);
			return;
		}
		// the shared tier first, so that no instance reads the old value there again
		this.remote.put(key, value, this.entries.drawTtlNanos());
		// detach first: a load registered before this point never publishes over the put
		this.singleFlight.invalidate(key);
		this.entries.put(key, value);
		this.statistics.recordPut();
	}

	/** See {@link CachedCache#putLocally(Object, Object)}. */
	void putLocally(Object key, @Nullable Object value) {
		if (value == null && !this.settings.isCacheNullValues()) {
			invalidateLocally(key);
			return;
		}
		this.singleFlight.invalidate(key);
		this.entries.put(key, value);
	}

	/** See {@link CachedCache#invalidate(Object)}. */
	void invalidate(Object key) {
		invalidateNow(key);
		this.writeRepeater.repeat(() -> invalidateNow(key), () -> invalidateNow(key));
	}

	private void invalidateNow(Object key) {
		// the shared tier first, so that no instance reads the old value there again
		this.remote.invalidate(key);
		invalidateLocally(key);
	}

	/** See {@link CachedCache#invalidateLocally(Object)}. */
	void invalidateLocally(Object key) {
		this.singleFlight.invalidate(key);
		this.entries.remove(key);
	}

	/** See {@link CachedCache#indexKeys(Function)}. */
	void indexKeys(Function<Object, @Nullable String> form) {
		this.entries.index(new KeyIndex(form));
	}

	/** See {@link CachedCache#invalidateLocallyByForm(String)}. */
	void invalidateLocallyByForm(String form) {
		KeyIndex index = this.entries.index();
		if (index == null) {
			throw new IllegalStateException("Cache '" + this.name + "' does not index its keys by form");
		}
		index.invalidate(form, this.singleFlight, this.entries);
	}

	/**
	 * Return the index of the cache's keys by form, for tests.
	 * @return the index, or {@code null} if the keys are not indexed
	 */
	@Nullable KeyIndex keyIndex() {
		return this.entries.index();
	}

	/** See {@link CachedCache#invalidateAll()}. */
	void invalidateAll() {
		invalidateAllNow();
		this.writeRepeater.repeat(this::invalidateAllNow, this::invalidateAllNow);
	}

	private void invalidateAllNow() {
		this.remote.invalidateAll();
		invalidateAllLocally();
	}

	/** See {@link CachedCache#invalidateAllLocally()}. */
	void invalidateAllLocally() {
		this.singleFlight.invalidateAll();
		this.entries.removeAll();
	}

	void setWriteRepeater(WriteRepeater writeRepeater) {
		this.writeRepeater = writeRepeater;
	}

	void setLoadObserver(LoadObserver observer) {
		this.singleFlight.setObserver(observer);
	}

	/** See {@link CachedCache#openScope(Load)}. */
	LoadObserver.Scope openScope(Load load) {
		Object observation = load.observation();
		return (observation != null) ? this.singleFlight.observer.openScope(observation) : LoadObserver.Scope.NONE;
	}

	/**
	 * Attach the cache to a shared tier: its writes and its single flight's loads go
	 * through it from now on.
	 * @param remote the cache's view of the tier, or {@code null} for none
	 */
	void setRemote(@Nullable RemoteCache remote) {
		RemoteCache tier = (remote != null) ? remote : RemoteCache.LOCAL;
		this.remote = tier;
		this.singleFlight.setTier(tier);
	}

	/**
	 * Return the tier the writes go through.
	 * @return the cache's view of the tier, {@link RemoteCache#LOCAL} when there is none
	 */
	RemoteCache remote() {
		return this.remote;
	}

	RemoteStatistics remoteStatistics() {
		return this.remoteStatistics;
	}

}
