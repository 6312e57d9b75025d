package dev.cached.benchmarks;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * How often each benchmarked method body ran, by variant name. Shared by the services and
 * read by the sanity pass and the stampede harness (not through the proxies, whose fields
 * are not the target's).
 */
final class Executions {

	private static final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

	private Executions() {
	}

	/**
	 * Return the counter of a variant.
	 * @param variant the variant name
	 * @return its counter
	 */
	static LongAdder counter(String variant) {
		return counters.computeIfAbsent(variant, (name) -> new LongAdder());
	}

	/**
	 * Return how often a variant's body ran.
	 * @param variant the variant name
	 * @return the executions so far
	 */
	static long of(String variant) {
		return counter(variant).sum();
	}

}
