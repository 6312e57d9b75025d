package dev.cached.sample;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The bug, reproduced on purpose as the demo's control: check-then-act on a
 * {@link ConcurrentHashMap}. Every caller that finds no value runs the loader, so callers
 * that arrive while the first load is still running all load too (a cache stampede).
 * The map itself is thread-safe; the sequence get, load, put is not atomic.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
class NaiveCache<K, V> {

	private final Map<K, V> map = new ConcurrentHashMap<>();

	private final AtomicLong hits = new AtomicLong();

	private final AtomicLong misses = new AtomicLong();

	V get(K key, Supplier<V> loader) {
		V value = this.map.get(key);
		if (value != null) {
			this.hits.incrementAndGet();
			return value;
		}
		this.misses.incrementAndGet();
		value = loader.get();
		this.map.put(key, value);
		return value;
	}

	long hits() {
		return this.hits.get();
	}

	long misses() {
		return this.misses.get();
	}

}
