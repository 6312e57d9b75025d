package dev.cached.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;

/**
 * The bulk part of the demo: two rules are read one at a time ({@code GET /rules/{id}}),
 * then a request for five ({@code GET /rules/by-ids}) is answered with the two from the
 * cache and one execution of {@link RuleService#getRules} for the three missing ids only.
 */
final class BulkDemo {

	static final List<String> CACHED = List.of("R-001", "R-002");

	static final List<String> REQUESTED = List.of("R-003", "R-001", "R-004", "R-002", "R-005");

	private final RuleService rules;

	private final RuleFileLoader loader;

	private final CachedCache cache;

	BulkDemo(RuleService rules, RuleFileLoader loader, CachedCache cache) {
		this.rules = rules;
		this.loader = loader;
		this.cache = cache;
	}

	/**
	 * Run it.
	 * @return what happened
	 */
	Report run() {
		for (String id : CACHED) {
			this.rules.getRule(id);
		}
		CacheStatistics statistics = this.cache.getStatistics();
		long loads = statistics.loadSuccesses() + statistics.loadFailures();
		long hits = statistics.hits();
		long misses = statistics.misses();
		long reads = this.loader.fileReads();
		Map<String, Rule> answer = this.rules.getRules(REQUESTED);
		return new Report(new ArrayList<>(answer.keySet()),
				statistics.loadSuccesses() + statistics.loadFailures() - loads, statistics.hits() - hits,
				statistics.misses() - misses, this.loader.fileReads() - reads);
	}

	/**
	 * What the bulk request did.
	 * @param answered the ids answered, in the answer's order
	 * @param executions how many times the bulk method ran
	 * @param hits the ids answered from the cache
	 * @param misses the ids the method ran for
	 * @param fileReads the rule files read
	 */
	record Report(List<String> answered, long executions, long hits, long misses, long fileReads) {

		/** Whether the request was answered in order with one execution for the missing ids only. */
		boolean ok() {
			return this.answered.equals(REQUESTED) && this.executions == 1 && this.hits == CACHED.size()
					&& this.misses == REQUESTED.size() - CACHED.size() && this.fileReads == this.misses;
		}

		String format() {
			return String.format("""

					Bulk request (@CachedAll, cache shared with getRule): %s cached one at a time, then %s
					  answered          %s
					  executions        %d (for the %d missing ids only)
					  hits / misses     %d / %d
					  file reads        %d
					""", CACHED, REQUESTED, this.answered, this.executions, this.misses, this.hits, this.misses,
					this.fileReads);
		}

	}

}
