package dev.cached.engine;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The effective settings of one cache, each with its source. Precedence per setting:
 * {@code cached.caches.<name>.*} &gt; {@code @Cached(ttl=…)} &gt; {@code cached.defaults.*}
 * &gt; built-in.
 *
 * @param ttl time to live after write; value {@code null} means no time-based expiry
 * @param maxSize maximum number of entries
 * @param waitTimeout how long a joined caller waits; value {@code null} means forever
 * @param cacheNullValues whether {@code null} results are stored
 * @param refreshAfter age after which a read starts a background reload; value
 * {@code null} means never
 * @param ttlJitter fraction by which each entry's ttl varies; value {@code null} means
 * none
 * @param earlyRefreshBeta beta of probabilistic early refresh; value {@code null} means
 * off
 * @param remote whether the cache keeps its values in the tier shared by every instance
 * (built-in {@code false})
 */
public record CacheSettings(Setting<Duration> ttl, Setting<Long> maxSize, Setting<Duration> waitTimeout,
		Setting<Boolean> cacheNullValues, Setting<Duration> refreshAfter, Setting<Double> ttlJitter,
		Setting<Double> earlyRefreshBeta, Setting<Boolean> remote) {

	/**
	 * Create settings of a cache that is not remote.
	 * @param ttl time to live after write
	 * @param maxSize maximum number of entries
	 * @param waitTimeout how long a joined caller waits
	 * @param cacheNullValues whether {@code null} results are stored
	 * @param refreshAfter age after which a read starts a background reload
	 * @param ttlJitter fraction by which each entry's ttl varies
	 * @param earlyRefreshBeta beta of probabilistic early refresh
	 */
	public CacheSettings(Setting<Duration> ttl, Setting<Long> maxSize, Setting<Duration> waitTimeout,
			Setting<Boolean> cacheNullValues, Setting<Duration> refreshAfter, Setting<Double> ttlJitter,
			Setting<Double> earlyRefreshBeta) {
		this(ttl, maxSize, waitTimeout, cacheNullValues, refreshAfter, ttlJitter, earlyRefreshBeta,
				new Setting<>(Boolean.FALSE, SettingSource.BUILT_IN));
	}

	/**
	 * Create settings without any of the expiry-stampede settings.
	 * @param ttl time to live after write
	 * @param maxSize maximum number of entries
	 * @param waitTimeout how long a joined caller waits
	 * @param cacheNullValues whether {@code null} results are stored
	 */
	public CacheSettings(Setting<Duration> ttl, Setting<Long> maxSize, Setting<Duration> waitTimeout,
			Setting<Boolean> cacheNullValues) {
		this(ttl, maxSize, waitTimeout, cacheNullValues, new Setting<>(null, SettingSource.BUILT_IN),
				new Setting<>(null, SettingSource.BUILT_IN), new Setting<>(null, SettingSource.BUILT_IN));
	}

	/** Built-in maximum number of entries. */
	public static final long DEFAULT_MAX_SIZE = 10_000;

	/**
	 * Resolve the settings of one cache.
	 * @param cache what {@code cached.caches.<name>} sets
	 * @param annotationTtl what {@code @Cached(ttl=…)} sets, or {@code null}
	 * @param defaults what {@code cached.defaults} sets
	 * @return the effective settings
	 * @throws IllegalArgumentException if {@code refresh-after} is set without a ttl, or
	 * not below it
	 */
	public static CacheSettings resolve(String name, CacheSpec cache, @Nullable Duration annotationTtl,
			CacheSpec defaults) {
		Setting<Duration> ttl = (cache.ttl() != null) ? new Setting<>(cache.ttl(), SettingSource.CACHE)
				: (annotationTtl != null) ? new Setting<>(annotationTtl, SettingSource.ANNOTATION)
						: pick(null, defaults.ttl(), null);
		CacheSettings settings = new CacheSettings(ttl, pick(cache.maxSize(), defaults.maxSize(), DEFAULT_MAX_SIZE),
				pick(cache.waitTimeout(), defaults.waitTimeout(), null),
				pick(cache.cacheNullValues(), defaults.cacheNullValues(), Boolean.TRUE),
				pick(cache.refreshAfter(), defaults.refreshAfter(), null),
				pick(cache.ttlJitter(), defaults.ttlJitter(), null),
				pick(cache.earlyRefreshBeta(), defaults.earlyRefreshBeta(), null),
				pick(cache.remote(), defaults.remote(), Boolean.FALSE));
		settings.checkRefreshAfter(name);
		return settings;
	}

	/**
	 * Resolve the settings of one cache.
	 * @param cache what {@code cached.caches.<name>} sets
	 * @param annotationTtl what {@code @Cached(ttl=…)} sets, or {@code null}
	 * @param defaults what {@code cached.defaults} sets
	 * @return the effective settings
	 * @throws IllegalArgumentException if {@code refresh-after} is set without a ttl, or
	 * not below it
	 */
	public static CacheSettings resolve(CacheSpec cache, @Nullable Duration annotationTtl, CacheSpec defaults) {
		return resolve("", cache, annotationTtl, defaults);
	}

	private void checkRefreshAfter(String name) {
		Duration refresh = this.refreshAfter.value();
		if (refresh == null) {
			return;
		}
		String property = property(name, this.refreshAfter.source());
		Duration ttl = this.ttl.value();
		if (ttl == null) {
			throw new IllegalArgumentException("uses cache '" + name + "', whose refresh-after "
					+ Durations.format(refresh) + " (" + property + ") needs a ttl, but the cache has none; "
					+ "set a ttl above " + Durations.format(refresh) + " or remove refresh-after");
		}
		if (refresh.compareTo(ttl) >= 0) {
			throw new IllegalArgumentException("uses cache '" + name + "', whose refresh-after "
					+ Durations.format(refresh) + " (" + property + ") is not below its ttl " + Durations.format(ttl)
					+ " (" + this.ttl.source().label() + "); set refresh-after below the ttl");
		}
	}

	private static String property(String name, SettingSource source) {
		if (source == SettingSource.DEFAULTS) {
			return "cached.defaults.refresh-after";
		}
		return ((name.indexOf('.') >= 0) ? "cached.caches.[" + name + "]" : "cached.caches." + name)
				+ ".refresh-after";
	}

	private static <T> Setting<T> pick(@Nullable T cache, @Nullable T defaults, @Nullable T builtIn) {
		if (cache != null) {
			return new Setting<>(cache, SettingSource.CACHE);
		}
		if (defaults != null) {
			return new Setting<>(defaults, SettingSource.DEFAULTS);
		}
		return new Setting<>(builtIn, SettingSource.BUILT_IN);
	}

	/**
	 * Return the maximum number of entries.
	 * @return the maximum size
	 */
	public long maximumSize() {
		Long value = this.maxSize.value();
		return (value != null) ? value : DEFAULT_MAX_SIZE;
	}

	/**
	 * Return whether a read may start a background reload: {@code refresh-after} is set,
	 * or {@code early-refresh-beta} is set on a cache with a ttl.
	 * @return whether entries refresh ahead of expiry
	 */
	public boolean isRefreshing() {
		return this.refreshAfter.value() != null || (this.earlyRefreshBeta.value() != null && this.ttl.value() != null);
	}

	/**
	 * Return the ttl jitter that applies: the setting on a cache with a ttl, else zero.
	 * @return the jitter fraction
	 */
	public double jitter() {
		Double value = this.ttlJitter.value();
		return (value != null && this.ttl.value() != null) ? value : 0.0;
	}

	/**
	 * Return whether the cache keeps its values in the tier shared by every instance.
	 * @return whether the cache is remote
	 */
	public boolean isRemote() {
		return Boolean.TRUE.equals(this.remote.value());
	}

	/**
	 * Return whether {@code null} results are stored.
	 * @return whether nulls are cached
	 */
	public boolean isCacheNullValues() {
		return !Boolean.FALSE.equals(this.cacheNullValues.value());
	}

}
