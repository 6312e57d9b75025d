package dev.cached.sample;

import java.util.List;
import java.util.Map;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.test.ClearCachedCaches;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RuleService} through its cache, asserted on the cache's own counters. Every test
 * starts from empty caches ({@link ClearCachedCaches @ClearCachedCaches}).
 */
@SpringBootTest(webEnvironment = WebEnvironment.NONE, properties = "rules.preload=false")
@ClearCachedCaches
@ExtendWith(OutputCaptureExtension.class)
class RuleServiceTests {

	private static final String LOAD_LINE = "Loading 53 rule files from classpath:rules/";

	private static final String RELOAD_LINE = "Checking 53 rule files in classpath:rules/ for a reload";

	@Autowired
	private RuleService ruleService;

	@Autowired
	private CacheRegistry cacheRegistry;

	@Autowired
	private RuleFileLoader loader;

	@Test
	void secondCallIsServedFromTheCache() {
		CacheStatistics stats = this.cacheRegistry.getCache("RuleService.getAllRules").getStatistics();
		long hits = stats.hits();
		long misses = stats.misses();

		this.ruleService.getAllRules();
		this.ruleService.getAllRules();

		assertThat(stats.misses() - misses).isEqualTo(1);
		assertThat(stats.hits() - hits).isEqualTo(1);
	}

	@Test
	void aBulkRequestReadsOnlyTheRulesNotCachedOneAtATimeAndSharesItsEntries() {
		CacheStatistics stats = this.cacheRegistry.getCache("RuleService.getRule").getStatistics();
		this.ruleService.getRule("R-002");
		long loads = stats.loadSuccesses();
		long misses = stats.misses();
		long fileReads = this.loader.fileReads();

		Map<String, Rule> rules = this.ruleService.getRules(List.of("R-003", "R-002", "NO-SUCH-RULE", "R-001"));

		assertThat(rules.keySet()).containsExactly("R-003", "R-002", "R-001");
		assertThat(stats.loadSuccesses() - loads).as("executions").isEqualTo(1);
		assertThat(stats.misses() - misses).as("ids the method ran for").isEqualTo(3);
		// an unknown id has no file to read
		assertThat(this.loader.fileReads() - fileReads).as("file reads").isEqualTo(2);
		assertThat(this.ruleService.getRule("R-003")).isEqualTo(rules.get("R-003"));
		assertThat(this.ruleService.getRule("NO-SUCH-RULE")).isNull();
		assertThat(this.loader.fileReads() - fileReads).as("file reads after the single calls").isEqualTo(2);
	}

	@Test
	void theDemosBulkRequestRunsOnceForTheMissingIds() {
		BulkDemo.Report report = new BulkDemo(this.ruleService, this.loader,
				this.cacheRegistry.getCache("RuleService.getRule")).run();
		assertThat(report.ok()).as(report.format()).isTrue();
		assertThat(report.executions()).isEqualTo(1);
		assertThat(report.misses()).isEqualTo(3);
	}

	@Test
	void reloadInvalidatesSoTheNextCallLoadsAgain() {
		CacheStatistics stats = this.cacheRegistry.getCache("RuleService.getAllRules").getStatistics();
		this.ruleService.getAllRules();
		long loads = stats.loadSuccesses();

		this.ruleService.reload();
		this.ruleService.getAllRules();

		assertThat(stats.loadSuccesses() - loads).isEqualTo(1);
	}

	@Test
	void reloadLogsALineOfItsOwnSoTheLoadingLinesCountTheLoads(CapturedOutput output) {
		this.ruleService.getAllRules();
		int mark = output.getOut().length();
		long loads = this.loader.loads();
		long fileReads = this.loader.fileReads();

		this.ruleService.reload();
		String reload = output.getOut().substring(mark);
		this.ruleService.getAllRules();
		String log = output.getOut().substring(mark);

		assertThat(reload).containsOnlyOnce(RELOAD_LINE).doesNotContain("Loading ");
		assertThat(log).containsOnlyOnce(RELOAD_LINE).containsOnlyOnce(LOAD_LINE);
		assertThat(log.indexOf(RELOAD_LINE)).isLessThan(log.indexOf(LOAD_LINE));
		assertThat(this.loader.loads() - loads).as("loads: the one after the reload").isEqualTo(1);
		assertThat(this.loader.fileReads() - fileReads).as("the check and the load read every file").isEqualTo(106);
	}

	@Test
	void reloadRuleStoresTheRuleSoTheNextReadIsAHit() {
		CacheStatistics stats = this.cacheRegistry.getCache("RuleService.getRule").getStatistics();
		String id = this.ruleService.getAllRules().get(0).id();
		long puts = stats.puts();
		long misses = stats.misses();

		Rule reloaded = this.ruleService.reloadRule(id);

		assertThat(this.ruleService.getRule(id)).isSameAs(reloaded);
		assertThat(stats.puts() - puts).isEqualTo(1);
		assertThat(stats.misses() - misses).isZero();
	}

	@Test
	void unknownIdIsCachedAsNull() {
		CacheStatistics stats = this.cacheRegistry.getCache("RuleService.getRule").getStatistics();
		long hits = stats.hits();

		assertThat(this.ruleService.getRule("R-999")).isNull();
		assertThat(this.ruleService.getRule("R-999")).isNull();

		assertThat(stats.hits() - hits).isEqualTo(1);
	}

}
