package dev.cached.actuate.endpoint;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.actuate.endpoint.CachedEndpoint.CacheDescriptor;
import dev.cached.actuate.endpoint.CachedEndpoint.SettingDescriptor;
import dev.cached.actuate.endpoint.CachedEndpoint.StatsDescriptor;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import dev.cached.refresh.BackgroundRefreshers;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link CachedEndpoint} as a plain object.
 */
class CachedEndpointTests {

	private static final Loader LOADER = (context) -> "value-" + context;

	private final CacheRegistry registry = new CacheRegistry(
			(name) -> "RuleService.getAllRules".equals(name) ? new CacheSpec(Duration.ofMinutes(5), 1L, null, null)
					: CacheSpec.NONE,
			new CacheSpec(null, null, null, true));

	private final CachedEndpoint endpoint = new CachedEndpoint(this.registry);

	@Test
	void cachesDescribesExpiryStampedeSettingsWithSources() throws Exception {
		CacheRegistry registry = new CacheRegistry(
				(name) -> new CacheSpec(Duration.ofMinutes(5), null, null, null, Duration.ofSeconds(90), null, null),
				new CacheSpec(null, null, null, null, null, 0.1, 1.5), Ticker.systemTicker(), Runnable::run,
				new BackgroundRefreshers(() -> Runnable::run));
		registry.register("RuleService.getAllRules", RuleService.class.getMethod("getAllRules"), true, null);
		CacheDescriptor allRules = new CachedEndpoint(registry).caches().caches().get("RuleService.getAllRules");
		assertThat(allRules.settings()).containsEntry("refresh-after", new SettingDescriptor("90s", "cache"))
			.containsEntry("ttl-jitter", new SettingDescriptor(0.1, "defaults"))
			.containsEntry("early-refresh-beta", new SettingDescriptor(1.5, "defaults"));
	}

	@Test
	void cachesWithoutCachesIsEmpty() {
		assertThat(this.endpoint.caches().caches()).isEmpty();
	}

	@Test
	void cachesDescribesSettingsWithSourcesAndMethods() throws Exception {
		this.registry.register("RuleService.getAllRules", RuleService.class.getMethod("getAllRules"), true, null);
		this.registry.register("RuleService.getRule", RuleService.class.getMethod("getRule", String.class), true,
				Duration.ofMillis(1500));
		Map<String, CacheDescriptor> caches = this.endpoint.caches().caches();
		assertThat(caches).containsOnlyKeys("RuleService.getAllRules", "RuleService.getRule");
		CacheDescriptor allRules = caches.get("RuleService.getAllRules");
		assertThat(allRules.methods()).containsExactly(RuleService.class.getName() + ".getAllRules()");
		assertThat(allRules.settings()).containsExactly(Map.entry("ttl", new SettingDescriptor("5m", "cache")),
				Map.entry("max-size", new SettingDescriptor(1L, "cache")),
				Map.entry("wait-timeout", new SettingDescriptor(null, "built-in")),
				Map.entry("cache-null-values", new SettingDescriptor(true, "defaults")),
				Map.entry("refresh-after", new SettingDescriptor(null, "built-in")),
				Map.entry("ttl-jitter", new SettingDescriptor(null, "built-in")),
				Map.entry("early-refresh-beta", new SettingDescriptor(null, "built-in")),
				Map.entry("remote", new SettingDescriptor(false, "built-in")));
		CacheDescriptor rule = caches.get("RuleService.getRule");
		assertThat(rule.methods()).containsExactly(RuleService.class.getName() + ".getRule(java.lang.String)");
		assertThat(rule.settings()).containsEntry("ttl", new SettingDescriptor("1500ms", "annotation"))
			.containsEntry("max-size", new SettingDescriptor(10_000L, "built-in"));
	}

	@Test
	void statsBeforeTheFirstCallAreZero() throws Exception {
		this.registry.register("RuleService.getAllRules", RuleService.class.getMethod("getAllRules"), true, null);
		assertThat(this.endpoint.caches().caches().get("RuleService.getAllRules").stats())
			.isEqualTo(new StatsDescriptor(0, 0, 0.0, 0, 0, 0, 0.0, 0, 0, 0));
	}

	@Test
	void statsCountHitsMissesLoadsAndSize() throws Throwable {
		CachedCache cache = this.registry.register("RuleService.getRule",
				RuleService.class.getMethod("getRule", String.class), true, null);
		cache.get("a", LOADER, "a");
		cache.get("a", LOADER, "a");
		cache.get("a", LOADER, "a");
		cache.get("b", LOADER, "b");
		cache.get("b", LOADER, "b");
		cache.get("b", LOADER, "b");
		StatsDescriptor stats = this.endpoint.cache("RuleService.getRule").stats();
		assertThat(stats.hits()).isEqualTo(4);
		assertThat(stats.misses()).isEqualTo(2);
		assertThat(stats.hitRatio()).isEqualTo(0.667);
		assertThat(stats.loadSuccesses()).isEqualTo(2);
		assertThat(stats.loadFailures()).isZero();
		assertThat(stats.meanLoadMillis()).isCloseTo(cache.getStatistics().totalLoadNanos() / 2.0 / 1_000_000.0,
				within(0.0006));
		assertThat(stats.size()).isEqualTo(2);
		assertThat(stats.inFlight()).isZero();
		assertThat(stats.coalesced()).isZero();
	}

	@Test
	void cacheWithUnknownNameIsNull() {
		assertThat(this.endpoint.cache("nope")).isNull();
	}

	@Test
	void clearCacheRemovesEveryEntry() throws Throwable {
		CachedCache cache = this.registry.register("RuleService.getRule",
				RuleService.class.getMethod("getRule", String.class), true, null);
		cache.get("a", LOADER, "a");
		cache.get("b", LOADER, "b");
		assertThat(this.endpoint.clearCache("RuleService.getRule")).isTrue();
		assertThat(cache.estimatedSize()).isZero();
		assertThat(cache.peek("a")).isNull();
	}

	@Test
	void clearCacheWithUnknownNameIsFalse() {
		assertThat(this.endpoint.clearCache("nope")).isFalse();
	}

	static class RuleService {

		public List<String> getAllRules() {
			return List.of();
		}

		public String getRule(String id) {
			return id;
		}

	}

}
