package dev.cached.sample;

import java.util.List;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Service;

/**
 * The rules, cached. However many requests arrive at once on a cold cache, the 53 files
 * are read once: the other callers wait for that load and share its result.
 */
@Service
public class RuleService {

	private final RuleFileLoader loader;

	public RuleService(RuleFileLoader loader) {
		this.loader = loader;
	}

	/**
	 * Return every rule, highest priority first. Cache {@code RuleService.getAllRules},
	 * refreshed ahead in the background once it is older than its {@code refresh-after}
	 * (see {@code application.yml}).
	 * @return the rules
	 */
	@Cached
	public List<Rule> getAllRules() {
		return this.loader.loadAll();
	}

	/**
	 * Return one rule, read from its own file. Cache {@code RuleService.getRule}, one entry
	 * per id; an unknown id is cached as {@code null} too.
	 * @param id the rule id
	 * @return the rule, or {@code null} if there is none
	 */
	@Cached(key = "#id")
	public @Nullable Rule getRule(String id) {
		return this.loader.loadOne(id);
	}

	/**
	 * Read one rule's file again and store the rule in {@code RuleService.getRule}, so
	 * that the next {@link #getRule(String)} for that id returns it without reading; the
	 * list of all rules is dropped. A load of that id running meanwhile does not overwrite
	 * it.
	 * @param id the rule id
	 * @return the rule, or {@code null} if there is none
	 */
	@CachePut(name = "RuleService.getRule", key = "#id")
	@CacheInvalidate(name = "RuleService.getAllRules", allEntries = true)
	public @Nullable Rule reloadRule(String id) {
		return this.loader.loadOne(id);
	}

	/**
	 * Read every file again and, only if all of them parse, drop the cached rules so that
	 * the next call loads the new ones. If a file is broken, this throws and the cached
	 * rules stay in service.
	 * @return the number of rules now on disk
	 */
	@CacheInvalidate(name = "RuleService.getAllRules", allEntries = true)
	@CacheInvalidate(name = "RuleService.getRule", allEntries = true)
	public int reload() {
		return this.loader.loadAll().size();
	}

}
