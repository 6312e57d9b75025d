package dev.cached.sample;

import dev.cached.engine.CacheRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the demo's scenario in-process, as {@code java -jar cached-sample-app.jar demo}
 * does, and checks its numbers: through {@code @Cached} the 53 files are loaded once
 * however many calls race; the naive check-then-act cache's numbers add up (how often it
 * loads depends on the scheduler; {@link NaiveCacheTests} shows its stampede
 * deterministically).
 */
@SpringBootTest(webEnvironment = WebEnvironment.NONE, properties = "rules.preload=false")
class StampedeDemoTests {

	private static final int CALLS = 16;

	@Autowired
	private RuleService ruleService;

	@Autowired
	private RuleFileLoader loader;

	@Autowired
	private CacheRegistry registry;

	@Test
	void concurrentCallsOnColdCacheLoadOnceThroughCachedAndNaiveCacheCountsAddUp() throws Exception {
		StampedeReport report = new StampedeDemo(this.ruleService, this.loader, this.registry).run(CALLS);

		StampedeReport.Run cached = report.cached();
		assertThat(cached.loads()).isEqualTo(1);
		assertThat(cached.fileReads()).isEqualTo(53);
		assertThat(cached.hits()).isEqualTo(CALLS - 1);
		assertThat(cached.misses()).isEqualTo(1);
		assertThat(cached.coalesced()).isBetween(0L, (long) CALLS - 1);
		assertThat(cached.traces()).hasSize(CALLS).filteredOn((trace) -> trace.loadStartNanos() >= 0).hasSize(1);
		assertThat(report.singleFlight()).isTrue();

		// How many naive callers miss depends on the scheduler (on a busy machine the first
		// load may finish before the others look): NaiveCacheTests proves the stampede
		// deterministically; here the naive run's numbers must only add up.
		StampedeReport.Run naive = report.naive();
		assertThat(naive.loads()).isBetween(1L, (long) CALLS);
		assertThat(naive.fileReads()).isEqualTo(naive.loads() * 53);
		assertThat(naive.misses()).isEqualTo(naive.loads());
		assertThat(naive.hits() + naive.misses()).isEqualTo(CALLS);
	}

	@Test
	void reportShowsBothRunsAndTheVerdict() throws Exception {
		StampedeReport report = new StampedeDemo(this.ruleService, this.loader, this.registry).run(4);

		assertThat(report.format(4)).contains("loads executed", "file reads", "hits / misses", "coalesced",
				"wall time", "naive cache, first 4 of 4 threads", "@Cached, first 4 of 4 threads",
				"OK: @Cached executed the load once for 4 concurrent calls");
	}

}
