package dev.cached.metrics;

import java.util.concurrent.TimeUnit;

import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;

/**
 * Binds the meters of one {@link CachedCache}, each tagged {@code cache=<name>}. Names,
 * types and base units of {@code cache.gets}, {@code cache.puts}, {@code cache.evictions}
 * and {@code cache.size} are those of Micrometer's cache binders, so existing cache
 * dashboards work unchanged; the load counter is named {@code cache.loads} as
 * {@code CaffeineStatsCounter} names it, and {@code cache.load.duration} is a timer, as the
 * contract names it:
 * <ul>
 * <li>{@code cache.gets} ({@code result=hit|miss}): calls answered from the store or by
 * joining a running load, and calls that ran the method;</li>
 * <li>{@code cache.coalesced}: calls that joined a running load (also counted as hits);</li>
 * <li>{@code cache.puts}, {@code cache.evictions}, {@code cache.size};</li>
 * <li>{@code cache.loads} ({@code result=success|failure}): executions of the method;</li>
 * <li>{@code cache.load.duration}: a timer of the executions, successful or failed;</li>
 * <li>{@code cache.inflight}: executions running now;</li>
 * <li>{@code cache.refreshes} ({@code result=success|failure}): background reloads
 * ({@code refresh-after}, {@code early-refresh-beta}), also counted as loads.</li>
 * </ul>
 * Every meter but the timer is function-based over the cache's {@link CacheStatistics},
 * the same counters the actuator endpoint reports, so the two always agree; the timer
 * records each execution as it ends.
 */
public final class CachedCacheMetrics extends CacheMeterBinder<CachedCache> {

	private static final String DESCRIPTION_REFRESHES = "The number of background reloads (refresh-after, "
			+ "early-refresh-beta), by outcome";

	private static final String DESCRIPTION_LOADS = "The number of times the cached method ran, by outcome";

	/**
	 * Create a binder for one cache.
	 * @param cache the cache
	 * @param tags extra tags for every meter
	 */
	public CachedCacheMetrics(CachedCache cache, Iterable<Tag> tags) {
		super(cache, cache.getName(), tags);
	}

	/**
	 * Bind the meters of {@code cache} to {@code registry}.
	 * @param registry the registry
	 * @param cache the cache
	 * @param tags extra tags for every meter
	 * @return the cache
	 */
	public static CachedCache monitor(MeterRegistry registry, CachedCache cache, Iterable<Tag> tags) {
		new CachedCacheMetrics(cache, tags).bindTo(registry);
		return cache;
	}

	@Override
	protected Long size() {
		CachedCache cache = getCache();
		return (cache != null) ? cache.estimatedSize() : 0L;
	}

	@Override
	protected long hitCount() {
		CachedCache cache = getCache();
		return (cache != null) ? cache.getStatistics().hits() : 0L;
	}

	@Override
	protected Long missCount() {
		CachedCache cache = getCache();
		return (cache != null) ? cache.getStatistics().misses() : 0L;
	}

	@Override
	protected Long evictionCount() {
		CachedCache cache = getCache();
		return (cache != null) ? cache.getStatistics().evictions() : 0L;
	}

	@Override
	protected long putCount() {
		CachedCache cache = getCache();
		return (cache != null) ? cache.getStatistics().puts() : 0L;
	}

	@Override
	protected void bindImplementationSpecificMetrics(MeterRegistry registry) {
		CachedCache cache = getCache();
		if (cache == null) {
			return;
		}
		Tags tags = Tags.of(getTagsWithCacheName());
		FunctionCounter.builder("cache.coalesced", cache, (c) -> c.getStatistics().coalesced())
			.tags(tags)
			.description("The number of calls that joined a load already running for their key")
			.register(registry);
		FunctionCounter.builder("cache.loads", cache, (c) -> c.getStatistics().loadSuccesses())
			.tags(tags)
			.tag("result", "success")
			.description(DESCRIPTION_LOADS)
			.register(registry);
		FunctionCounter.builder("cache.loads", cache, (c) -> c.getStatistics().loadFailures())
			.tags(tags)
			.tag("result", "failure")
			.description(DESCRIPTION_LOADS)
			.register(registry);
		FunctionCounter.builder("cache.refreshes", cache, (c) -> c.getStatistics().refreshSuccesses())
			.tags(tags)
			.tag("result", "success")
			.description(DESCRIPTION_REFRESHES)
			.register(registry);
		FunctionCounter.builder("cache.refreshes", cache, (c) -> c.getStatistics().refreshFailures())
			.tags(tags)
			.tag("result", "failure")
			.description(DESCRIPTION_REFRESHES)
			.register(registry);
		Timer loadDuration = Timer.builder("cache.load.duration")
			.tags(tags)
			.description("The time the cached method took to run, successful or failed")
			.register(registry);
		cache.getStatistics().addLoadListener((nanos, success) -> loadDuration.record(nanos, TimeUnit.NANOSECONDS));
		Gauge.builder("cache.inflight", cache, (c) -> c.getStatistics().inFlight())
			.tags(tags)
			.description("The number of loads running now")
			.register(registry);
	}

}
