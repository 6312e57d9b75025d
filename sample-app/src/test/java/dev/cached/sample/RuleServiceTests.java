package dev.cached.sample;

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
