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
	 * @param method the first method that uses it (its return type is the type of values,
	 * unless the {@link RemoteCache.Call#context() context} of a call names another)
	 * @return the cache's view of the tier, or {@code null} to keep the cache local
	 */
	@Nullable RemoteCache attach(CachedCache cache, Method method);

	/**
	 * Say why the values of a method whose cache is kept in the tier could not be read
	 * back there (e.g. its declared return type is an interface with no known
	 * implementation), so that startup fails naming the method instead of every read.
	 * @param method a method of a cache kept in the tier
	 * @return the problem, to follow "whose values", or {@code null} if there is none
	 */
	default @Nullable String valueProblem(Method method) {
		return null;
	}

	/**
	 * Describe the tier's state for operators (e.g. {@code status}, {@code since},
	 * {@code error}), never a key or a value.
	 * @return the description
	 */
	java.util.Map<String, Object> status();

}
