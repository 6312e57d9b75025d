package dev.cached.engine;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * The keys of one cache's local store by the form in which a shared tier names them (for
 * Redis, their stable form), so that an invalidation received by that form removes its
 * keys without looking at any other: O(1) in the size of the store. A form usually names
 * one key; keys of different types may share one (see the tier's documentation).
 * <p>
 * Notes on the implementation:
 * <ul>
 * <li><b>Invariant:</b> every key stored in the cache is here. {@link CaffeineStore} adds
 * a key inside the atomic operation that stores its value, removes it inside the atomic
 * operation that removes it on an invalidation, and inside Caffeine's eviction listener
 * (which Caffeine runs within the atomic operation that evicts) when an entry expires or
 * is evicted for size. So for one key, the store and the index change together.</li>
 * <li>The index may hold a key that is no longer stored (an expired entry replaced in
 * the same operation that writes the key again, whose eviction the store lets pass): it
 * costs its room until the key is written and removed again, or its form is
 * invalidated, which removes it.</li>
 * <li>The hit path never touches the index; a load's write computes its key's form once,
 * and so does each removal.</li>
 * </ul>
 */
public final class KeyIndex {

	/** The form of a key, or {@code null} for a key that has none (never indexed). */
	private final Function<Object, @Nullable String> form;

	/** By form: the key, or {@link Several} keys. Written inside the store's atomic operations. */
	private final ConcurrentHashMap<String, Object> keys = new ConcurrentHashMap<>();

	/**
	 * Create an empty index.
	 * @param form the form of a key, {@code null} for a key that has none
	 */
	public KeyIndex(Function<Object, @Nullable String> form) {
		this.form = form;
	}

	/**
	 * Return the form of {@code key}.
	 * @param key a key
	 * @return its form, or {@code null} if it has none (or computing it failed)
	 */
	public @Nullable String formOf(Object key) {
		try {
			return this.form.apply(key);
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Return the keys that {@code form} names.
	 * @param form a form
	 * @return the keys, possibly none; a snapshot
	 */
	public List<Object> keys(String form) {
		Object found = this.keys.get(form);
		if (found == null) {
			return List.of();
		}
		return (found instanceof Several several) ? List.of(several.keys) : List.of(found);
	}

	/**
	 * Return the number of forms indexed.
	 * @return the number of forms
	 */
	public int size() {
		return this.keys.size();
	}

	/**
	 * Detach the loads and remove the stored entries of every key of {@code form}: the
	 * loads first, so that one storing its value after this point is detached (G8) and one
	 * that stored it before is in the index, read after this point. Only the keys of the
	 * loads in flight (few) have their form computed.
	 */
	void invalidate(String form, SingleFlight flight, CaffeineStore entries) {
		flight.invalidateIf((key) -> form.equals(formOf(key)));
		for (Object key : keys(form)) {
			flight.invalidate(key);
			entries.remove(key);
		}
	}

	void add(Object key) {
		String form = formOf(key);
		if (form != null) {
			this.keys.compute(form, (f, current) -> with(current, key));
		}
	}

	void remove(Object key) {
		String form = formOf(key);
		if (form != null) {
			this.keys.computeIfPresent(form, (f, current) -> without(current, key));
		}
	}

	private static Object with(@Nullable Object current, Object key) {
		if (current == null) {
			return key;
		}
		if (current instanceof Several several) {
			for (Object indexed : several.keys) {
				if (indexed.equals(key)) {
					return current;
				}
			}
			Object[] more = Arrays.copyOf(several.keys, several.keys.length + 1);
			more[several.keys.length] = key;
			return new Several(more);
		}
		return current.equals(key) ? current : new Several(new Object[] { current, key });
	}

	private static @Nullable Object without(Object current, Object key) {
		if (!(current instanceof Several several)) {
			return current.equals(key) ? null : current;
		}
		int at = -1;
		for (int i = 0; i < several.keys.length; i++) {
			if (several.keys[i].equals(key)) {
				at = i;
			}
		}
		if (at < 0) {
			return current;
		}
		if (several.keys.length == 2) {
			return several.keys[1 - at];
		}
		Object[] fewer = new Object[several.keys.length - 1];
		System.arraycopy(several.keys, 0, fewer, 0, at);
		System.arraycopy(several.keys, at + 1, fewer, at, fewer.length - at);
		return new Several(fewer);
	}

	/** Several keys of one form; never modified, replaced. */
	private record Several(Object[] keys) {
	}

}
