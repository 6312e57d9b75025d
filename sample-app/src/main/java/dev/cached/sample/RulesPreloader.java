package dev.cached.sample;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * Loads the rules once at startup (through the cache, so the first request is served
 * from it), and so fails startup when a rule file is broken, naming the file.
 */
@Component
@ConditionalOnBooleanProperty(name = "rules.preload", matchIfMissing = true)
class RulesPreloader implements ApplicationRunner {

	private final RuleService ruleService;

	RulesPreloader(RuleService ruleService) {
		this.ruleService = ruleService;
	}

	@Override
	public void run(ApplicationArguments args) {
		this.ruleService.getAllRules();
	}

}
