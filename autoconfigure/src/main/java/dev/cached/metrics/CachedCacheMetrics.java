package dev.cached.metrics;

import java.util.concurrent.TimeUnit;

import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;

/**
 * Binds the meters of one {@link CachedCache}, each tagged {@code cache=<name>} plus the
 * tags it is given ({@link CachedCacheMetricsRegistrar} adds {@code name} and the
 * auto-configuration {@code cache.manager}, as Spring Boot does for its own caches).
 * Every meter that Micrometer's {@code CaffeineCacheMetrics} (the binder Spring Boot
 * uses for its Caffeine caches) also registers has its name, type, tag keys and
 * {@code result} values, so both kinds of caches share one metric in any registry,
 * Prometheus included:
 * <ul>
 * <li>{@code cache.gets} ({@code result=hit|miss}): calls answered from the store or by a
 * running load they joined, and calls that ran the method;</li>
 * <li>{@code cache.puts}, {@code cache.evictions}, {@code cache.size};</li>
 * <li>{@code cache.load} ({@code result=success|failure}): executions of the method;</li>
 * <li>{@code cache.load.duration}: a {@code TimeGauge} of the total time spent in
 * executions, successful or failed;</li>
 * </ul>
 * and the meters of the starter's own, under names no Micrometer cache binder uses:
 * <ul>
 * <li>{@code cache.coalesced}: calls that joined a running load;</li>
 * <li>{@code cache.inflight}: executions running now;</li>
 * <li>{@code cache.refreshes} ({@code result=success|failure}): background reloads
 * ({@code refresh-after}, {@code early-refresh-beta}), also counted as loads;</li>
 * <li>{@code cached.load.duration}: a {@code Timer} of each execution, for percentiles
 * and the maximum.</li>
 * </ul>
 * Every meter but the timer is function-based over the cache's {@link CacheStatistics},
 * the same counters the actuator endpoint reports, so the two always agree; the timer
 * records each execution as it ends.
 */
public final class CachedCacheMetrics extends CacheMeterBinder<CachedCache> {

	private static final String DESCRIPTION_REFRESHES = "The number of background reloads (refresh-after, "
			+ "early-refresh-beta), by outcome";

	/** The name of the load-time {@link Timer}, which no Micrometer cache binder uses. */
	public static final String LOAD_TIMER = "cached.load.duration";

	// the descriptions of Micrometer's CaffeineCacheMetrics, so that both kinds of caches
	// describe one metric alike
	private static final String DESCRIPTION_REMOTE_GETS = "The number of local misses that read the shared tier, "
			+ "by whether it held the value (a hit) or the instance loaded it (a miss)";

	private static final String DESCRIPTION_LOAD = "The number of times cache lookup methods have successfully "
			+ "loaded a new value or failed to load a new value, either because no value was found or an exception "
			+ "was thrown while loading";

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
		FunctionCounter.builder("cache.load", cache, (c) -> c.getStatistics().loadSuccesses())
			.tags(tags)
			.tag("result", "success")
			.description(DESCRIPTION_LOAD)
			.register(registry);
		FunctionCounter.builder("cache.load", cache, (c) -> c.getStatistics().loadFailures())
			.tags(tags)
			.tag("result", "failure")
			.description(DESCRIPTION_LOAD)
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
		TimeGauge.builder("cache.load.duration", cache, TimeUnit.NANOSECONDS,
				(c) -> c.getStatistics().totalLoadNanos())
			.tags(tags)
			.description("The time the cache has spent loading new values")
			.register(registry);
		Timer loadTimer = Timer.builder(LOAD_TIMER)
			.tags(tags)
			.description("The time each execution of the cached method took, successful or failed")
			.register(registry);
		cache.getStatistics().addLoadListener((nanos, success) -> loadTimer.record(nanos, TimeUnit.NANOSECONDS));
		Gauge.builder("cache.inflight", cache, (c) -> c.getStatistics().inFlight())
			.tags(tags)
			.description("The number of loads running now")
			.register(registry);
		if (cache.getSettings().isRemote()) {
			bindRemoteMetrics(registry, cache, tags);
		}
	}

	/**
	 * The shared tier's meters, under names of their own ({@code cache.remote.*}), so the
	 * {@code cache.*} meters keep exactly the tag keys of Boot's own cache meters.
	 */
	private static void bindRemoteMetrics(MeterRegistry registry, CachedCache cache, Tags tags) {
		FunctionCounter.builder("cache.remote.gets", cache, (c) -> c.getRemoteStatistics().hits())
			.tags(tags)
			.tag("result", "hit")
			.description(DESCRIPTION_REMOTE_GETS)
			.register(registry);
		FunctionCounter.builder("cache.remote.gets", cache, (c) -> c.getRemoteStatistics().misses())
			.tags(tags)
			.tag("result", "miss")
			.description(DESCRIPTION_REMOTE_GETS)
			.register(registry);
		FunctionCounter.builder("cache.remote.puts", cache, (c) -> c.getRemoteStatistics().writes())
			.tags(tags)
			.description("The number of values this instance wrote to the shared tier")
			.register(registry);
		FunctionCounter.builder("cache.remote.errors", cache, (c) -> c.getRemoteStatistics().errors())
			.tags(tags)
			.description("The number of calls to the shared tier that failed, timed out or read a payload that "
					+ "is not the cache's; each such call was answered locally")
			.register(registry);
	}

}
