package dev.cached.sample;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.CachedAll;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Service;

/**
 * The rules, cached. However many requests arrive at once on a cold cache, the 53 files
 * are read once: the other callers wait for that load and share its result.
 */
@Service
public class RuleService {

	private final RuleFileLoader loader;

	private final Executor executor;

	public RuleService(RuleFileLoader loader, @Qualifier("applicationTaskExecutor") Executor executor) {
		this.loader = loader;
		this.executor = executor;
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
	 * Return several rules at once, each read from its own file. It shares cache
	 * {@code RuleService.getRule} with {@link #getRule}, entry by entry: the ids already
	 * cached are answered from it, the ids being read right now are joined, and this
	 * method runs once with the remaining ids only. An unknown id is left out of the
	 * answer (and cached as absent, as {@link #getRule} caches it as {@code null}).
	 * @param ids the rule ids
	 * @return the rules found, by id, in the order asked
	 */
	@CachedAll(name = "RuleService.getRule")
	public Map<String, Rule> getRules(Collection<String> ids) {
		Map<String, Rule> rules = new LinkedHashMap<>();
		for (String id : ids) {
			Rule rule = this.loader.loadOne(id);
			if (rule != null) {
				rules.put(id, rule);
			}
		}
		return rules;
	}

	/**
	 * Return one rule without blocking the caller: the file is read on the application's
	 * task executor. It shares cache {@code RuleService.getRule} with {@link #getRule}:
	 * the completed value is stored under the same key, and concurrent calls, synchronous
	 * or not, share one read.
	 * @param id the rule id
	 * @return a future of the rule, completed with {@code null} if there is none
	 */
	@Cached(name = "RuleService.getRule", key = "#id")
	public CompletableFuture<@Nullable Rule> getRuleAsync(String id) {
		return CompletableFuture.supplyAsync(() -> this.loader.loadOne(id), this.executor);
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
	 * rules stay in service. The check is not a load: it logs {@code Checking ... for a
	 * reload}, and the next call's load logs {@code Loading ...}.
	 * @return the number of rules now on disk
	 */
	@CacheInvalidate(name = "RuleService.getAllRules", allEntries = true)
	@CacheInvalidate(name = "RuleService.getRule", allEntries = true)
	public int reload() {
		return this.loader.checkAll().size();
	}

}
