package dev.cached.engine;

import java.lang.reflect.Method;

import org.jspecify.annotations.Nullable;

/**
 * A tier that several instances of the application share: the {@link CacheRegistry}
 * attaches every cache to it. What it receives from the other instances (their
 * invalidations) it applies through {@link CachedCache#invalidateLocally},
 * {@link CachedCache#invalidateLocallyByForm} (having the cache index its keys by the form
 * it names them in, {@link CachedCache#indexKeys}) and
 * {@link CachedCache#invalidateAllLocally()}.
 */
public interface RemoteTier {

	/**
	 * Attach a cache to the tier; called once per cache.
	 * @param cache the cache
	 * @param method the first method that uses it (its return type is the type of values)
	 * @return the cache's view of the tier, or {@code null} to keep the cache local
	 */
	@Nullable RemoteCache attach(CachedCache cache, Method method);

	/**
	 * Describe the tier's state for operators (e.g. {@code status}, {@code since},
	 * {@code error}), never a key or a value.
	 * @return the description
	 */
	java.util.Map<String, Object> status();

}
