package dev.cached.sample;

import dev.cached.engine.CacheRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code cached.enabled=false}, {@link RuleService} runs uncached: every call loads.
 */
@SpringBootTest(webEnvironment = WebEnvironment.NONE, properties = { "cached.enabled=false", "rules.preload=false" })
class RuleServiceDisabledCacheTests {

	@Autowired
	private RuleService ruleService;

	@Autowired
	private RuleFileLoader loader;

	@Autowired
	private ApplicationContext context;

	@Test
	void everyCallLoads() {
		long loads = this.loader.loads();

		this.ruleService.getAllRules();
		this.ruleService.getAllRules();

		assertThat(this.loader.loads() - loads).isEqualTo(2);
		assertThat(this.context.getBeanNamesForType(CacheRegistry.class)).isEmpty();
	}

}
