package dev.cached.actuate.endpoint;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Durations;
import dev.cached.engine.RemoteStatistics;
import dev.cached.engine.RemoteTier;
import dev.cached.engine.Setting;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@link Endpoint @Endpoint} that describes every {@code @Cached} cache: its effective
 * settings and where each came from, the methods that use it, and its statistics. It
 * never exposes a cached key or value. A cache can also be cleared.
 */
@Endpoint(id = "cached")
public class CachedEndpoint {

	private final CacheRegistry registry;

	/**
	 * Create the endpoint.
	 * @param registry the caches
	 */
	public CachedEndpoint(CacheRegistry registry) {
		this.registry = registry;
	}

	/**
	 * Describe every cache.
	 * @return the caches by name, sorted by name
	 */
	@ReadOperation
	public CachesDescriptor caches() {
		Map<String, CacheDescriptor> caches = new LinkedHashMap<>();
		for (CachedCache cache : this.registry.getCaches()) {
			caches.put(cache.getName(), describe(cache));
		}
		RemoteTier tier = this.registry.getRemoteTier();
		return new CachesDescriptor(caches, (tier != null) ? tier.status() : null);
	}

	/**
	 * Describe one cache.
	 * @param name the cache name
	 * @return the description, or {@code null} if no cache has that name
	 */
	@ReadOperation
	public @Nullable CacheDescriptor cache(@Selector String name) {
		CachedCache cache = this.registry.getCache(name);
		return (cache != null) ? describe(cache) : null;
	}

	/**
	 * Remove every entry of one cache. Loads running now still answer their callers, but
	 * their results are not stored.
	 * @param name the cache name
	 * @return {@code true} if the cache exists and was cleared, {@code false} if no cache
	 * has that name
	 */
	@DeleteOperation
	public boolean clearCache(@Selector String name) {
		CachedCache cache = this.registry.getCache(name);
		if (cache == null) {
			return false;
		}
		cache.invalidateAll();
		return true;
	}

	private static CacheDescriptor describe(CachedCache cache) {
		CacheSettings settings = cache.getSettings();
		Map<String, SettingDescriptor> described = new LinkedHashMap<>();
		described.put("ttl", describe(settings.ttl()));
		described.put("max-size", describe(settings.maxSize()));
		described.put("wait-timeout", describe(settings.waitTimeout()));
		described.put("cache-null-values", describe(settings.cacheNullValues()));
		described.put("refresh-after", describe(settings.refreshAfter()));
		described.put("ttl-jitter", describe(settings.ttlJitter()));
		described.put("early-refresh-beta", describe(settings.earlyRefreshBeta()));
		described.put("remote", describe(settings.remote()));
		RemoteStatistics remote = cache.getRemoteStatistics();
		return new CacheDescriptor(cache.getMethods(), described, describeStatistics(cache),
				cache.isRemoteActive() ? new RemoteDescriptor(remote.hits(), remote.misses(), remote.writes(),
						remote.errors()) : null);
	}

	private static SettingDescriptor describe(Setting<?> setting) {
		Object value = setting.value();
		return new SettingDescriptor((value instanceof Duration duration) ? Durations.format(duration) : value,
				setting.source().label());
	}

	private static StatsDescriptor describeStatistics(CachedCache cache) {
		CacheStatistics statistics = cache.getStatistics();
		long hits = statistics.hits();
		long misses = statistics.misses();
		long loadSuccesses = statistics.loadSuccesses();
		long loadFailures = statistics.loadFailures();
		long loads = loadSuccesses + loadFailures;
		double hitRatio = (hits + misses > 0) ? round((double) hits / (hits + misses)) : 0.0;
		double meanLoadMillis = (loads > 0) ? round(statistics.totalLoadNanos() / 1_000_000.0 / loads) : 0.0;
		return new StatsDescriptor(hits, misses, hitRatio, statistics.coalesced(), loadSuccesses, loadFailures,
				meanLoadMillis, statistics.inFlight(), cache.estimatedSize(), statistics.evictions());
	}

	private static double round(double value) {
		return BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_UP).doubleValue();
	}

	/**
	 * Every cache, by name.
	 *
	 * @param caches the caches by name
	 * @param redis the state of the Redis tier ({@code status}: {@code UP} or
	 * {@code DOWN}, with {@code since} and {@code error} during an outage), absent when the
	 * tier is off
	 */
	public record CachesDescriptor(Map<String, CacheDescriptor> caches,
			@JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Map<String, Object> redis)
			implements OperationResponseBody {
	}

	/**
	 * One cache.
	 *
	 * @param methods the methods that use it, e.g.
	 * {@code com.example.RuleService.getAllRules()}
	 * @param settings its effective settings by property name ({@code ttl},
	 * {@code max-size}, {@code wait-timeout}, {@code cache-null-values},
	 * {@code refresh-after}, {@code ttl-jitter}, {@code early-refresh-beta})
	 * @param stats its statistics
	 * @param remote the counters of its calls to the shared tier, present only for a cache
	 * whose values live there
	 */
	public record CacheDescriptor(List<String> methods, Map<String, SettingDescriptor> settings,
			StatsDescriptor stats, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable RemoteDescriptor remote)
			implements OperationResponseBody {
	}

	/**
	 * A cache's calls to the shared tier.
	 *
	 * @param hits local misses that Redis answered
	 * @param misses local misses that Redis did not answer (the instance loaded)
	 * @param puts values this instance wrote to Redis
	 * @param errors calls that failed, timed out or read a payload that is not the cache's
	 */
	public record RemoteDescriptor(long hits, long misses, long puts, long errors) {
	}

	/**
	 * One effective setting.
	 *
	 * @param value the value: a duration as short text ({@code 5m}, {@code 500ms}), a
	 * number or a boolean; {@code null} when unset (no ttl, no wait timeout, no refresh,
	 * no jitter), and then still written
	 * @param source where it came from: {@code cache}, {@code annotation},
	 * {@code defaults} or {@code built-in}
	 */
	public record SettingDescriptor(@JsonInclude(JsonInclude.Include.ALWAYS) @Nullable Object value,
			String source) {
	}

	/**
	 * The statistics of one cache.
	 *
	 * @param hits calls answered from the store or by joining a running load
	 * @param misses calls that ran the method
	 * @param hitRatio {@code hits / (hits + misses)}, rounded to 3 decimals; {@code 0.0}
	 * before the first call
	 * @param coalesced calls that joined a running load (counted in hits too)
	 * @param loadSuccesses executions of the method that returned
	 * @param loadFailures executions of the method that threw
	 * @param meanLoadMillis mean time of an execution in milliseconds, rounded to 3
	 * decimals; {@code 0.0} before the first execution
	 * @param inFlight executions running now
	 * @param size the approximate number of entries
	 * @param evictions entries removed for size or expiry
	 */
	public record StatsDescriptor(long hits, long misses, double hitRatio, long coalesced, long loadSuccesses,
			long loadFailures, double meanLoadMillis, long inFlight, long size, long evictions) {
	}

}
