package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * Where a load's value is looked up and published: the local store of one cache.
 */
public interface Store {

	/**
	 * Return the stored value, masked ({@link NullValue}), or {@code null} if absent.
	 * @param key the key
	 * @return the masked value or {@code null}
	 */
	@Nullable Object lookup(Object key);

	/**
	 * Store {@code value} unless {@code load} has been invalidated; the check must be
	 * atomic with the write. A background reload ({@link Load#replaces()}) replaces only
	 * the entry it started from; a value a shared tier answered
	 * ({@link Load#isFromSharedTier()}) lives at most its remaining time there and never
	 * replaces an entry.
	 * @param key the key
	 * @param value the value, possibly {@code null}
	 * @param load the load that produced it
	 */
	void publish(Object key, @Nullable Object value, Load load);

}
