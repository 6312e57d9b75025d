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
 */
public record CacheSettings(Setting<Duration> ttl, Setting<Long> maxSize, Setting<Duration> waitTimeout,
		Setting<Boolean> cacheNullValues) {

	/** Built-in maximum number of entries. */
	public static final long DEFAULT_MAX_SIZE = 10_000;

	/**
	 * Resolve the settings of one cache.
	 * @param cache what {@code cached.caches.<name>} sets
	 * @param annotationTtl what {@code @Cached(ttl=…)} sets, or {@code null}
	 * @param defaults what {@code cached.defaults} sets
	 * @return the effective settings
	 */
	public static CacheSettings resolve(CacheSpec cache, @Nullable Duration annotationTtl, CacheSpec defaults) {
		Setting<Duration> ttl = (cache.ttl() != null) ? new Setting<>(cache.ttl(), SettingSource.CACHE)
				: (annotationTtl != null) ? new Setting<>(annotationTtl, SettingSource.ANNOTATION)
						: pick(null, defaults.ttl(), null);
		return new CacheSettings(ttl, pick(cache.maxSize(), defaults.maxSize(), DEFAULT_MAX_SIZE),
				pick(cache.waitTimeout(), defaults.waitTimeout(), null),
				pick(cache.cacheNullValues(), defaults.cacheNullValues(), Boolean.TRUE));
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
	 * Return whether {@code null} results are stored.
	 * @return whether nulls are cached
	 */
	public boolean isCacheNullValues() {
		return !Boolean.FALSE.equals(this.cacheNullValues.value());
	}

}
