package dev.cached.benchmarks;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cached.engine.CacheRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The application context of one JVM (the benchmark driver or one JMH fork), started once,
 * with the raw maps beside it, and checked by the sanity pass before anything is measured:
 * every variant's body must run exactly once per key, or the start fails.
 */
final class BenchmarkContext {

	/** The cache of the heap harness holds a million entries and must not evict. */
	static final int HEAP_CACHE_SIZE = 4_000_000;

	private static @Nullable BenchmarkContext instance;

	/**
	 * Whether the sanity pass covers every key: set by the driver, which checks once
	 * before any fork starts; each JMH fork then checks {@value #FORK_SANITY_KEYS} keys per
	 * variant, so that it starts quickly.
	 */
	static boolean fullSanity;

	static final int FORK_SANITY_KEYS = 64;

	final ConfigurableApplicationContext context;

	final CachedService cached;

	final SpringCacheService spring;

	final PlainService plain;

	final AsyncServices.Cached asyncCached;

	final AsyncServices.Spring asyncSpring;

	/** Raw Caffeine, filled with every key. */
	final Cache<Long, String> caffeine = Caffeine.newBuilder().maximumSize(BenchmarkApplication.MAXIMUM_SIZE).build();

	/**
	 * Raw Caffeine for the miss path, empty, built like the store of a {@code @Cached}
	 * cache: the same maximum size, the same maintenance executor, and an eviction
	 * listener that counts into a {@link LongAdder} as the cache's statistics do.
	 */
	final Cache<Long, String> caffeineMisses = Caffeine.newBuilder()
		.maximumSize(BenchmarkApplication.MAXIMUM_SIZE)
		.executor(BenchmarkApplication.maintenanceExecutor())
		.evictionListener((key, value, cause) -> this.caffeineMissEvictions.increment())
		.build();

	/** Evictions from {@link #caffeineMisses}. */
	final LongAdder caffeineMissEvictions = new LongAdder();

	/** The floor: a plain map, filled with every key. */
	final Map<Long, String> map = new ConcurrentHashMap<>();

	private BenchmarkContext() {
		this.context = new SpringApplicationBuilder(BenchmarkApplication.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.properties("spring.main.banner-mode=off", "logging.level.root=WARN",
					"cached.caches.[CachedService.entry].max-size=" + HEAP_CACHE_SIZE)
			.run();
		this.cached = this.context.getBean(CachedService.class);
		this.spring = this.context.getBean(SpringCacheService.class);
		this.plain = this.context.getBean(PlainService.class);
		this.asyncCached = this.context.getBean(AsyncServices.Cached.class);
		this.asyncSpring = this.context.getBean(AsyncServices.Spring.class);
		for (int i = 0; i < Keys.COUNT; i++) {
			this.caffeine.put(Keys.BOXED[i], Keys.VALUES[i]);
			this.map.put(Keys.BOXED[i], Keys.VALUES[i]);
		}
	}

	/**
	 * Return this JVM's context, starting it and running the sanity pass the first time.
	 * @return the context
	 * @throws IllegalStateException if a variant does not cache
	 */
	static synchronized BenchmarkContext get() {
		if (instance == null) {
			long start = System.nanoTime();
			BenchmarkContext context = new BenchmarkContext();
			long started = System.nanoTime();
			try {
				context.checkSanity();
				System.out.printf("# Context started in %d ms, sanity pass in %d ms%n", (started - start) / 1_000_000,
						(System.nanoTime() - started) / 1_000_000);
			}
			catch (RuntimeException | Error ex) {
				context.context.close();
				throw ex;
			}
			instance = context;
		}
		return instance;
	}

	/**
	 * Close this JVM's context, if started.
	 */
	static synchronized void close() {
		if (instance != null) {
			instance.context.close();
			instance = null;
		}
	}

	CacheRegistry registry() {
		return this.context.getBean(CacheRegistry.class);
	}

	/**
	 * Prove that every variant caches: call each key twice, and expect its body to have
	 * run once per key, with the right value every time.
	 */
	private void checkSanity() {
		int keys = fullSanity ? Keys.COUNT : FORK_SANITY_KEYS;
		checkCaches(CachedService.BY_ID, keys, (i) -> this.cached.byId(i), Keys.VALUES);
		checkCaches(CachedService.BY_ID_KEY, keys, (i) -> this.cached.byIdKey(i), Keys.VALUES);
		checkCaches(CachedService.BY_NAME_AND_NUMBER, keys,
				(i) -> this.cached.byNameAndNumber(Keys.NAMES[i], i), Keys.VALUES);
		checkCaches(CachedService.NO_ARGUMENT, 1, (i) -> this.cached.noArgument(), Keys.VALUES);
		checkCaches(SpringCacheService.BY_ID_KEY, keys, (i) -> this.spring.byIdKey(i), Keys.VALUES);
		checkCaches(SpringCacheService.BY_ID_KEY_SYNC, keys, (i) -> this.spring.byIdKeySync(i), Keys.VALUES);
		checkCaches(SpringCacheService.BY_ID, keys, (i) -> this.spring.byId(i), Keys.VALUES);
		checkCaches(SpringCacheService.BY_NAME_AND_NUMBER, keys,
				(i) -> this.spring.byNameAndNumber(Keys.NAMES[i], i), Keys.VALUES);
		// The miss and stampede variants must cache too; negative keys stay clear of the
		// keys that the benchmarks use.
		checkCaches(CachedService.MISS, keys, (i) -> this.cached.miss(-1 - (long) i), null);
		checkCaches(SpringCacheService.MISS_SYNC, keys, (i) -> this.spring.missSync(-1 - (long) i), null);
		checkCaches(CachedService.SLOW, 2, (i) -> Stampede.unchecked(() -> this.cached.slow(-1 - (long) i)), null);
		checkCaches(SpringCacheService.SLOW, 2, (i) -> Stampede.unchecked(() -> this.spring.slow(-1 - (long) i)),
				null);
		checkCaches(SpringCacheService.SLOW_SYNC, 2,
				(i) -> Stampede.unchecked(() -> this.spring.slowSync(-1 - (long) i)), null);
		checkCaches(AsyncServices.Cached.FUTURE, keys, (i) -> this.asyncCached.futureById(i).join(), Keys.VALUES);
		checkCaches(AsyncServices.Cached.MONO, keys, (i) -> this.asyncCached.monoById(i).block(), Keys.VALUES);
		checkCaches(AsyncServices.Spring.FUTURE, keys, (i) -> this.asyncSpring.futureById(i).join(), Keys.VALUES);
		checkCaches(AsyncServices.Spring.MONO, keys, (i) -> this.asyncSpring.monoById(i).block(), Keys.VALUES);
		checkCaches(AsyncServices.Cached.SLOW_FUTURE, 2, (i) -> this.asyncCached.slowFuture(-1 - (long) i).join(),
				null);
		checkCaches(AsyncServices.Cached.SLOW_MONO, 2, (i) -> this.asyncCached.slowMono(-1 - (long) i).block(),
				null);
		checkCaches(AsyncServices.Spring.SLOW_FUTURE, 2, (i) -> this.asyncSpring.slowFuture(-1 - (long) i).join(),
				null);
		checkCaches(AsyncServices.Spring.SLOW_FUTURE_SYNC, 2,
				(i) -> this.asyncSpring.slowFutureSync(-1 - (long) i).join(), null);
		checkCaches(AsyncServices.Spring.SLOW_MONO, 2, (i) -> this.asyncSpring.slowMono(-1 - (long) i).block(),
				null);
		check(AopUtils.isAopProxy(this.cached), "the @Cached service is not proxied");
		check(AopUtils.isAopProxy(this.spring), "the @Cacheable service is not proxied");
		check(!AopUtils.isAopProxy(this.plain), "the plain service is proxied");
		for (int i = 0; i < Keys.COUNT; i++) {
			check(Keys.VALUES[i].equals(this.caffeine.getIfPresent(Keys.BOXED[i])), "raw Caffeine lacks key " + i);
			check(Keys.VALUES[i].equals(this.map.get(Keys.BOXED[i])), "the map lacks key " + i);
		}
		check(this.caffeineMisses.get(-1L, (key) -> "x").equals(this.caffeineMisses.get(-1L, (key) -> "y")),
				"raw Caffeine get(key, function) does not cache");
	}

	private static void checkCaches(String variant, int keys, IntFunction<Object> call, String @Nullable [] expected) {
		long before = Executions.of(variant);
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < keys; i++) {
				Object value = call.apply(i);
				if (expected != null && !Objects.equals(expected[i], value)) {
					throw new IllegalStateException("Sanity check failed: " + variant + " returned '" + value
							+ "' for key " + i + " instead of '" + expected[i] + "'");
				}
			}
		}
		long executions = Executions.of(variant) - before;
		if (executions != keys) {
			throw new IllegalStateException("Sanity check failed: " + variant + " ran its body " + executions
					+ " times for " + keys + " keys called twice each, so it does not cache (expected " + keys
					+ "); refusing to measure it");
		}
	}

	private static void check(boolean condition, String problem) {
		if (!condition) {
			throw new IllegalStateException("Sanity check failed: " + problem + "; refusing to measure");
		}
	}

}
