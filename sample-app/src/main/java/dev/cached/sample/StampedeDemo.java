package dev.cached.sample;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;

/**
 * The stampede, run twice on a cold cache: {@code calls} threads wait at a barrier and
 * then all call {@code getAllRules()} at the same moment, once through a naive
 * check-then-act cache and once through {@code @Cached}. Every number in the report is
 * counted, not assumed: loads and file reads by {@link RuleFileLoader}, hits, misses and
 * coalesced calls by the naive cache and by the engine's {@link CacheStatistics}.
 */
public final class StampedeDemo {

	/** The cache of {@link RuleService#getAllRules()}. */
	public static final String CACHE_NAME = "RuleService.getAllRules";

	private final RuleService ruleService;

	private final RuleFileLoader loader;

	private final CacheRegistry registry;

	public StampedeDemo(RuleService ruleService, RuleFileLoader loader, CacheRegistry registry) {
		this.ruleService = ruleService;
		this.loader = loader;
		this.registry = registry;
	}

	/**
	 * Race {@code calls} threads through the naive cache, then through {@code @Cached}.
	 * @param calls the number of concurrent calls, at least 1
	 * @return the counts of both runs
	 * @throws InterruptedException if this thread is interrupted while the threads run
	 */
	public StampedeReport run(int calls) throws InterruptedException {
		if (calls < 1) {
			throw new IllegalArgumentException("--calls must be at least 1, but was " + calls);
		}
		CachedCache cache = this.registry.getCache(CACHE_NAME);
		if (cache == null) {
			throw new IllegalStateException("No cache named '" + CACHE_NAME + "'; is cached.enabled=false?");
		}
		// Let neither run pay for class loading and the first parse: read one rule through
		// the other cache, which also warms up the cache's own code path.
		this.ruleService.getRule("R-001");

		NaiveCache<String, List<Rule>> naiveCache = new NaiveCache<>();
		long naiveHits = naiveCache.hits();
		long naiveMisses = naiveCache.misses();
		Race naive = race(calls, () -> naiveCache.get("all-rules", this.loader::loadAll));
		StampedeReport.Run naiveRun = naive.toRun(naiveCache.hits() - naiveHits, naiveCache.misses() - naiveMisses,
				-1);

		cache.invalidateAll();
		CacheStatistics stats = cache.getStatistics();
		long hits = stats.hits();
		long misses = stats.misses();
		long coalesced = stats.coalesced();
		Race cached = race(calls, this.ruleService::getAllRules);
		StampedeReport.Run cachedRun = cached.toRun(stats.hits() - hits, stats.misses() - misses,
				stats.coalesced() - coalesced);
		return new StampedeReport(calls, naiveRun, cachedRun);
	}

	private Race race(int calls, Supplier<List<Rule>> call) throws InterruptedException {
		CyclicBarrier barrier = new CyclicBarrier(calls);
		long[] arrived = new long[calls];
		long[] done = new long[calls];
		Map<Thread, long[]> loading = new ConcurrentHashMap<>();
		AtomicReference<Throwable> failure = new AtomicReference<>();
		long loadsBefore = this.loader.loads();
		long readsBefore = this.loader.fileReads();
		this.loader.setTracer(new RuleFileLoader.LoadTracer() {

			@Override
			public void loadStarted() {
				loading.put(Thread.currentThread(), new long[] { System.nanoTime(), 0 });
			}

			@Override
			public void loadFinished() {
				loading.get(Thread.currentThread())[1] = System.nanoTime();
			}

		});
		Thread[] threads = new Thread[calls];
		try {
			for (int i = 0; i < calls; i++) {
				int index = i;
				threads[i] = new Thread(() -> {
					try {
						barrier.await();
						arrived[index] = System.nanoTime();
						call.get();
						done[index] = System.nanoTime();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						failure.compareAndSet(null, ex);
					}
					catch (BrokenBarrierException | RuntimeException | Error ex) {
						failure.compareAndSet(null, ex);
					}
				}, String.format("call-%02d", i + 1));
				threads[i].start();
			}
			for (Thread thread : threads) {
				thread.join(TimeUnit.MINUTES.toMillis(1));
				if (thread.isAlive()) {
					throw new IllegalStateException(thread.getName() + " did not finish within a minute");
				}
			}
		}
		finally {
			this.loader.setTracer(null);
		}
		if (failure.get() != null) {
			throw new IllegalStateException("A call failed: " + failure.get(), failure.get());
		}
		long start = Long.MAX_VALUE;
		long end = Long.MIN_VALUE;
		for (int i = 0; i < calls; i++) {
			start = Math.min(start, arrived[i]);
			end = Math.max(end, done[i]);
		}
		List<StampedeReport.Trace> traces = new ArrayList<>();
		for (int i = 0; i < calls; i++) {
			long[] load = loading.get(threads[i]);
			traces.add(new StampedeReport.Trace(threads[i].getName(), arrived[i] - start,
					(load != null) ? load[0] - start : -1, (load != null) ? load[1] - start : -1, done[i] - start));
		}
		traces.sort(Comparator.comparingLong(StampedeReport.Trace::arrivedNanos));
		return new Race(this.loader.loads() - loadsBefore, this.loader.fileReads() - readsBefore, end - start,
				traces);
	}

	private record Race(long loads, long fileReads, long wallNanos, List<StampedeReport.Trace> traces) {

		StampedeReport.Run toRun(long hits, long misses, long coalesced) {
			return new StampedeReport.Run(this.loads, this.fileReads, hits, misses, coalesced, this.wallNanos,
					this.traces);
		}

	}

}
