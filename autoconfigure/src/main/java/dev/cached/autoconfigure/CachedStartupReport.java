package dev.cached.autoconfigure;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSettings;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Durations;
import dev.cached.engine.Setting;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Once every singleton exists, logs one INFO line per cache with its effective settings
 * and their sources, and warns about names under {@code cached.caches} that no
 * {@code @Cached} method uses (usually a typo, or a name with dots written without
 * [brackets]).
 */
public class CachedStartupReport implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(CachedStartupReport.class);

	private final CacheRegistry registry;

	private final CachedProperties properties;

	/**
	 * Create the report.
	 * @param registry the caches
	 * @param properties the configuration
	 */
	public CachedStartupReport(CacheRegistry registry, CachedProperties properties) {
		this.registry = registry;
		this.properties = properties;
	}

	@Override
	public void afterSingletonsInstantiated() {
		for (CachedCache cache : this.registry.getCaches()) {
			if (logger.isInfoEnabled()) {
				CacheSettings settings = cache.getSettings();
				logger.info("Cache '" + cache.getName() + "': ttl=" + describe(settings.ttl()) + ", max-size="
						+ describe(settings.maxSize()) + ", wait-timeout=" + describe(settings.waitTimeout())
						+ ", cache-null-values=" + describe(settings.cacheNullValues())
						+ describeIfSet("refresh-after", settings.refreshAfter())
						+ describeIfSet("ttl-jitter", settings.ttlJitter())
						+ describeIfSet("early-refresh-beta", settings.earlyRefreshBeta())
						+ (settings.isRemote() ? ", remote=" + describe(settings.remote()) : "") + ", methods="
						+ cache.getMethods());
			}
		}
		if (!this.properties.getRedis().isEnabled()) {
			for (CachedCache cache : this.registry.getCaches()) {
				if (cache.getSettings().isRemote()) {
					logger.warn("Cache '" + cache.getName() + "' is remote (" + cache.getSettings().remote().source().label()
							+ "), but cached.redis.enabled is not true: the cache runs local-only on this instance");
				}
			}
		}
		Set<String> unused = new TreeSet<>(this.properties.getCaches().keySet());
		unused.removeAll(this.registry.getCacheNames());
		for (String name : unused) {
			String property = (name.indexOf('.') >= 0) ? "cached.caches.[" + name + "]" : "cached.caches." + name;
			logger.warn(property + " is configured, but no @Cached method uses a cache named '" + name
					+ "'; known caches are " + this.registry.getCacheNames()
					+ " (write names with dots in [brackets] in YAML, e.g. \"[RuleService.getAllRules]\")");
		}
	}

	private static String describeIfSet(String name, Setting<?> setting) {
		return (setting.value() != null) ? ", " + name + "=" + describe(setting) : "";
	}

	private static String describe(Setting<?> setting) {
		Object value = setting.value();
		String text = (value instanceof Duration duration) ? Durations.format(duration)
				: (value != null) ? value.toString() : "none";
		return text + " (" + setting.source().label() + ")";
	}

}
