package dev.cached.metrics;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.metrics.CachedMetricsAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CacheWaitInterruptedException;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import dev.cached.refresh.BackgroundRefreshers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link CachedCacheMetrics}, through a real proxied {@code @Cached} bean and a
 * {@link SimpleMeterRegistry}.
 */
class CachedCacheMetricsTests {

	private static final String CACHE = "SlowService.load";

	private static final int CALLERS = 64;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedMetricsAutoConfiguration.class))
		.withBean(SimpleMeterRegistry.class)
		.withUserConfiguration(ServiceConfiguration.class);

	@Test
	void everyMeterIsRegisteredAtZeroBeforeTheFirstCall() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			List<String> ids = registry.getMeters()
				.stream()
				.map(Meter::getId)
				.filter((id) -> CACHE.equals(id.getTag("cache")))
				.map((id) -> id.getName() + ((id.getTag("result") != null) ? "{" + id.getTag("result") + "}" : ""))
				.toList();
			assertThat(ids).containsExactlyInAnyOrder("cache.gets{hit}", "cache.gets{miss}", "cache.coalesced",
					"cache.puts", "cache.evictions", "cache.size", "cache.load{success}", "cache.load{failure}",
					"cache.load.duration", "cached.load.duration", "cache.inflight", "cache.refreshes{success}",
					"cache.refreshes{failure}");
			assertThat(count(registry, "cache.gets", "result", "hit")).isZero();
			assertThat(count(registry, "cache.gets", "result", "miss")).isZero();
			assertThat(count(registry, "cache.load", "result", "success")).isZero();
			assertThat(registry.get("cache.size").tag("cache", CACHE).gauge().value()).isZero();
		});
	}

	@Test
	void everyMeterCarriesTheTagKeysOfSpringBootsCacheMeters() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			List<Meter> meters = registry.getMeters()
				.stream()
				.filter((meter) -> CACHE.equals(meter.getId().getTag("cache")))
				.toList();
			assertThat(meters).hasSize(13).allSatisfy((meter) -> {
				Meter.Id id = meter.getId();
				List<String> keys = id.getTags().stream().map(Tag::getKey).toList();
				if (id.getName().equals("cache.gets") || id.getName().equals("cache.load")
						|| id.getName().equals("cache.refreshes")) {
					assertThat(keys).as(id.toString()).containsExactly("cache", "cache.manager", "name", "result");
				}
				else {
					assertThat(keys).as(id.toString()).containsExactly("cache", "cache.manager", "name");
				}
				assertThat(id.getTag("cache.manager")).isEqualTo("cached");
				assertThat(id.getTag("name")).isEqualTo(CACHE);
			});
		});
	}

	/**
	 * The meters that Micrometer's {@code CaffeineCacheMetrics} also registers for the
	 * caches of Spring Boot's Caffeine cache manager have its names, types and base
	 * units, so that both kinds of caches share one metric.
	 */
	@Test
	void metersSharedWithCaffeineCacheMetricsHaveItsTypesAndUnits() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			MeterRegistry caffeineRegistry = new SimpleMeterRegistry();
			com.github.benmanes.caffeine.cache.LoadingCache<Object, Object> caffeine = Caffeine.newBuilder()
				.recordStats()
				.build((key) -> key);
			CaffeineCacheMetrics.monitor(caffeineRegistry, caffeine, "boot", Tags.empty());
			List<Meter> caffeineMeters = caffeineRegistry.getMeters();
			assertThat(caffeineMeters).extracting((meter) -> meter.getId().getName())
				.contains("cache.gets", "cache.puts", "cache.evictions", "cache.size", "cache.load",
						"cache.load.duration");
			for (Meter caffeineMeter : caffeineMeters) {
				Meter.Id caffeineId = caffeineMeter.getId();
				if (caffeineId.getName().equals("cache.eviction.weight")) {
					continue;
				}
				Meter ours = registry.find(caffeineId.getName())
					.tag("cache", CACHE)
					.tags(caffeineId.getTags().stream().filter((tag) -> tag.getKey().equals("result")).toList())
					.meter();
				assertThat(ours).as(caffeineId.toString()).isNotNull();
				assertThat(ours.getId().getType()).as(caffeineId.toString()).isEqualTo(caffeineId.getType());
				for (Class<?> type : List.of(FunctionCounter.class, Counter.class, TimeGauge.class, Gauge.class,
						Timer.class, FunctionTimer.class, DistributionSummary.class)) {
					assertThat(type.isInstance(ours)).as("%s is a %s", caffeineId, type.getSimpleName())
						.isEqualTo(type.isInstance(caffeineMeter));
				}
				assertThat(ours.getId().getBaseUnit()).as(caffeineId.toString()).isEqualTo(caffeineId.getBaseUnit());
				assertThat(ours.getId().getDescription()).as(caffeineId.toString())
					.isEqualTo(caffeineId.getDescription());
			}
			assertThat(registry.get("cache.load.duration").tag("cache", CACHE).timeGauge()).isNotNull();
		});
	}

	/**
	 * 64 callers ask for the same cold key while its only load is held on a latch: one
	 * runs the method (miss, one successful load), 63 join it (hits, coalesced).
	 */
	@Test
	void sixtyFourConcurrentCallsOnColdKeyCountOneMissOneLoadAndSixtyThreeCoalescedHits() throws Exception {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			SlowService service = context.getBean(SlowService.class);
			ExecutorService executor = Executors.newFixedThreadPool(CALLERS);
			try {
				List<Future<String>> results = new ArrayList<>();
				for (int i = 0; i < CALLERS; i++) {
					results.add(executor.submit(() -> service.load("k")));
				}
				await().atMost(Duration.ofSeconds(10))
					.pollInterval(Duration.ofMillis(5))
					.until(() -> count(registry, "cache.coalesced") == CALLERS - 1);
				assertThat(registry.get("cache.inflight").tag("cache", CACHE).gauge().value()).isEqualTo(1);
				service.release();
				for (Future<String> result : results) {
					assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("value-k");
				}
			}
			finally {
				service.release();
				executor.shutdownNow();
			}
			assertThat(service.calls()).isEqualTo(1);
			assertThat(count(registry, "cache.gets", "result", "hit")).isEqualTo(63);
			assertThat(count(registry, "cache.gets", "result", "miss")).isEqualTo(1);
			assertThat(count(registry, "cache.coalesced")).isEqualTo(63);
			assertThat(count(registry, "cache.load", "result", "success")).isEqualTo(1);
			assertThat(count(registry, "cache.load", "result", "failure")).isZero();
			assertThat(count(registry, "cache.puts")).isEqualTo(1);
			assertThat(registry.get("cache.inflight").tag("cache", CACHE).gauge().value()).isZero();
			assertThat(registry.get("cache.size").tag("cache", CACHE).gauge().value()).isEqualTo(1);
		});
	}

	@Test
	void hitsAndMissesAddUpToCallsAndLoadTimesAreTheEnginesTotal() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			SlowService service = context.getBean(SlowService.class);
			service.release();
			for (int i = 0; i < 10; i++) {
				service.load("k" + (i % 3));
			}
			assertThat(count(registry, "cache.gets", "result", "hit")).isEqualTo(7);
			assertThat(count(registry, "cache.gets", "result", "miss")).isEqualTo(3);
			assertThat(count(registry, "cache.load", "result", "success")).isEqualTo(3);
			CachedCache cache = context.getBean(CacheRegistry.class).getCache(CACHE);
			Timer loadTimer = registry.get("cached.load.duration").tag("cache", CACHE).timer();
			assertThat(loadTimer.count()).isEqualTo(3);
			long totalLoadNanos = cache.getStatistics().totalLoadNanos();
			assertThat(totalLoadNanos).isPositive();
			// both meters keep the engine's nanoseconds, but read them back through a conversion
			// to their base unit (seconds) in floating point: equal to the nanosecond, not to the bit
			assertThat(Math.round(loadTimer.totalTime(TimeUnit.NANOSECONDS))).isEqualTo(totalLoadNanos);
			assertThat(loadTimer.baseTimeUnit()).isEqualTo(TimeUnit.SECONDS);
			TimeGauge loadDuration = registry.get("cache.load.duration").tag("cache", CACHE).timeGauge();
			assertThat(Math.round(loadDuration.value(TimeUnit.NANOSECONDS))).isEqualTo(totalLoadNanos);
			assertThat(loadDuration.baseTimeUnit()).isEqualTo(TimeUnit.SECONDS);
		});
	}

	@Test
	void failedLoadCountsMissAndFailureAndStoresNothing() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			SlowService service = context.getBean(SlowService.class);
			service.release();
			assertThatIllegalStateException().isThrownBy(() -> service.load("boom"));
			assertThat(count(registry, "cache.gets", "result", "miss")).isEqualTo(1);
			assertThat(count(registry, "cache.gets", "result", "hit")).isZero();
			assertThat(count(registry, "cache.load", "result", "failure")).isEqualTo(1);
			assertThat(count(registry, "cache.load", "result", "success")).isZero();
			assertThat(count(registry, "cache.puts")).isZero();
			assertThat(registry.get("cache.size").tag("cache", CACHE).gauge().value()).isZero();
			assertThat(registry.get("cache.inflight").tag("cache", CACHE).gauge().value()).isZero();
		});
	}

	@Test
	void evictionsAreCounted() throws Exception {
		CacheRegistry caches = new CacheRegistry((name) -> CacheSpec.NONE, new CacheSpec(null, 1L, null, null),
				com.github.benmanes.caffeine.cache.Ticker.systemTicker(), Runnable::run);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new CachedCacheMetricsRegistrar(caches, registry, Tags.empty());
		CachedCache cache = caches.register("tiny", SlowService.class.getMethod("load", String.class), false, null);
		for (int i = 0; i < 10; i++) {
			cache.put("k" + i, i);
		}
		cache.getNativeCache().cleanUp();
		assertThat(registry.get("cache.evictions").tag("cache", "tiny").functionCounter().count()).isEqualTo(9);
		assertThat(registry.get("cache.puts").tag("cache", "tiny").functionCounter().count()).isEqualTo(10);
		assertThat(registry.get("cache.size").tag("cache", "tiny").gauge().value()).isEqualTo(1);
	}

	@Test
	void backgroundRefreshesAreCountedByOutcome() throws Throwable {
		java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
		CacheRegistry caches = new CacheRegistry((name) -> CacheSpec.NONE,
				new CacheSpec(Duration.ofMinutes(10), null, null, null, Duration.ofMinutes(1), null, null), nanos::get,
				Runnable::run, new BackgroundRefreshers(() -> Runnable::run));
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new CachedCacheMetricsRegistrar(caches, registry, Tags.of("cache.manager", "cached"));
		CachedCache cache = caches.register("refreshing", SlowService.class.getMethod("load", String.class), false,
				null);
		AtomicInteger loads = new AtomicInteger();
		Loader loader = (context) -> {
			if (loads.incrementAndGet() == 3) {
				throw new IllegalStateException("reload failed");
			}
			return "value";
		};
		cache.get("k", loader, "call");
		nanos.addAndGet(Duration.ofMinutes(1).toNanos());
		cache.get("k", loader, "call");
		nanos.addAndGet(Duration.ofMinutes(1).toNanos());
		cache.get("k", loader, "call");
		assertThat(registry.get("cache.refreshes")
			.tags("cache", "refreshing", "cache.manager", "cached", "result", "success")
			.functionCounter()
			.count()).isEqualTo(1);
		assertThat(registry.get("cache.refreshes")
			.tags("cache", "refreshing", "cache.manager", "cached", "result", "failure")
			.functionCounter()
			.count()).isEqualTo(1);
	}

	@Test
	void cacheCreatedAfterTheRegistrarGetsItsMetersWhenCreated() throws Exception {
		CacheRegistry caches = new CacheRegistry((name) -> CacheSpec.NONE, CacheSpec.NONE);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		caches.register("early", SlowService.class.getMethod("load", String.class), false, null);
		new CachedCacheMetricsRegistrar(caches, registry, Tags.empty());
		assertThat(registry.find("cache.gets").tag("cache", "early").meters()).hasSize(2);
		assertThat(registry.find("cache.gets").tag("cache", "late").meters()).isEmpty();
		caches.register("late", SlowService.class.getMethod("load", String.class), false, null);
		assertThat(registry.find("cache.gets").tag("cache", "late").meters()).hasSize(2);
		assertThat(registry.find("cache.inflight").tag("cache", "late").gauge()).isNotNull();
	}

	/**
	 * Every counter is monotonic: a sampler reads every counter meter (and the total of
	 * load time) again and again while hits, joins, an interrupted join, a shared failure,
	 * timed-out joins and evictions happen, and at fixed points in between; no reading is
	 * ever below the one before it. The race it guards: a joiner counted as a hit when it
	 * joins, and taken back when its wait times out, makes {@code cache.gets{result=hit}}
	 * and {@code cache.coalesced} go down, which Prometheus reads as a counter reset.
	 */
	@Test
	void noCounterEverGoesDownDuringAMixOfHitsJoinsTimeoutsInterruptsAndFailures() throws Throwable {
		CacheSpec impatientSpec = new CacheSpec(null, null, Duration.ofMillis(200), null);
		CacheRegistry caches = new CacheRegistry((name) -> name.equals("impatient") ? impatientSpec : CacheSpec.NONE,
				new CacheSpec(null, 2L, null, null), com.github.benmanes.caffeine.cache.Ticker.systemTicker(),
				Runnable::run);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		new CachedCacheMetricsRegistrar(caches, registry, Tags.empty());
		Method method = SlowService.class.getMethod("load", String.class);
		CachedCache patient = caches.register("patient", method, false, null);
		CachedCache impatient = caches.register("impatient", method, false, null);
		GatedLoader loader = new GatedLoader();
		CounterSampler sampler = new CounterSampler(registry);
		List<Thread> threads = new CopyOnWriteArrayList<>();
		Thread background = new Thread(sampler::sampleUntilStopped, "counter-sampler");
		background.start();
		try {
			// hits and a miss
			assertThat(patient.get("a", loader, "a")).isEqualTo("value of a");
			assertThat(patient.get("a", loader, "a")).isEqualTo("value of a");
			sampler.sample();
			// three joiners, one of them interrupted while it waits
			FutureTask<Object> owner = start(threads, () -> patient.get("b", loader, "hold b"));
			await().until(() -> loader.started("hold b"));
			List<FutureTask<Object>> joiners = new ArrayList<>();
			for (int i = 0; i < 3; i++) {
				joiners.add(start(threads, () -> patient.get("b", loader, "joiner")));
			}
			await().until(() -> patient.getStatistics().coalesced() == 3);
			sampler.sample();
			threads.get(threads.size() - 1).interrupt();
			FutureTask<Object> victim = joiners.remove(joiners.size() - 1);
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> victim.get(10, TimeUnit.SECONDS))
				.withCauseInstanceOf(CacheWaitInterruptedException.class);
			sampler.sample();
			// a failure shared with two joiners
			FutureTask<Object> failing = start(threads, () -> patient.get("c", loader, "hold fail c"));
			await().until(() -> loader.started("hold fail c"));
			List<FutureTask<Object>> failed = new ArrayList<>();
			for (int i = 0; i < 2; i++) {
				failed.add(start(threads, () -> patient.get("c", loader, "joiner")));
			}
			await().until(() -> patient.getStatistics().coalesced() == 5);
			sampler.sample();
			loader.release("hold fail c");
			failed.add(failing);
			for (FutureTask<Object> call : failed) {
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> call.get(10, TimeUnit.SECONDS))
					.withCauseInstanceOf(IllegalStateException.class);
			}
			sampler.sample();
			// two joiners whose wait times out: each runs the method itself, one fails
			FutureTask<Object> slow = start(threads, () -> impatient.get("d", loader, "hold d"));
			await().until(() -> loader.started("hold d"));
			FutureTask<Object> timedOut = start(threads, () -> impatient.get("d", loader, "fallback"));
			FutureTask<Object> timedOutFailing = start(threads, () -> impatient.get("d", loader, "fail fallback"));
			await().until(() -> impatient.getStatistics().coalesced() == 2);
			sampler.sample();
			assertThat(timedOut.get(10, TimeUnit.SECONDS)).isEqualTo("value of fallback");
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> timedOutFailing.get(10, TimeUnit.SECONDS))
				.withCauseInstanceOf(IllegalStateException.class);
			sampler.sample();
			loader.release("hold b");
			loader.release("hold d");
			assertThat(owner.get(10, TimeUnit.SECONDS)).isEqualTo("value of hold b");
			for (FutureTask<Object> joiner : joiners) {
				assertThat(joiner.get(10, TimeUnit.SECONDS)).isEqualTo("value of hold b");
			}
			assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("value of hold d");
			sampler.sample();
			// evictions beyond max-size 2
			for (String key : List.of("e", "f", "g")) {
				patient.get(key, loader, key);
			}
			patient.getNativeCache().cleanUp();
			sampler.sample();
		}
		finally {
			sampler.stop();
			background.join(10_000);
			for (Thread thread : threads) {
				thread.interrupt();
			}
		}
		assertThat(sampler.decreases).isEmpty();
		assertThat(sampler.samples).isGreaterThan(9);
		// the interrupted joiner is coalesced only; a timed-out joiner is coalesced and a miss
		assertStatistics(patient, 5, 6, 5, 5, 1);
		assertStatistics(impatient, 0, 3, 2, 2, 1);
		assertThat(patient.getStatistics().evictions()).isEqualTo(3);
	}

	private static FutureTask<Object> start(List<Thread> threads, Body body) {
		FutureTask<Object> task = new FutureTask<>(() -> {
			try {
				return body.run();
			}
			catch (Exception | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		});
		Thread thread = new Thread(task, "caller-" + threads.size());
		thread.setDaemon(true);
		threads.add(thread);
		thread.start();
		return task;
	}

	private static void assertStatistics(CachedCache cache, long hits, long misses, long coalesced,
			long loadSuccesses, long loadFailures) {
		CacheStatistics statistics = cache.getStatistics();
		assertThat(statistics.hits()).as("hits of %s", cache.getName()).isEqualTo(hits);
		assertThat(statistics.misses()).as("misses of %s", cache.getName()).isEqualTo(misses);
		assertThat(statistics.coalesced()).as("coalesced of %s", cache.getName()).isEqualTo(coalesced);
		assertThat(statistics.loadSuccesses()).as("load successes of %s", cache.getName()).isEqualTo(loadSuccesses);
		assertThat(statistics.loadFailures()).as("load failures of %s", cache.getName()).isEqualTo(loadFailures);
	}

	private static double count(MeterRegistry registry, String name, String... tags) {
		return registry.get(name).tag("cache", CACHE).tags(tags).functionCounter().count();
	}

	@Configuration(proxyBeanMethods = false)
	static class ServiceConfiguration {

		@Bean
		SlowService slowService() {
			return new SlowService();
		}

	}

	static class SlowService {

		private final CountDownLatch release = new CountDownLatch(1);

		private final AtomicInteger calls = new AtomicInteger();

		void release() {
			this.release.countDown();
		}

		int calls() {
			return this.calls.get();
		}

		@Cached
		public String load(String key) throws InterruptedException {
			this.calls.incrementAndGet();
			if (!this.release.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("never released");
			}
			if (key.equals("boom")) {
				throw new IllegalStateException("boom");
			}
			return "value-" + key;
		}

	}

	/**
	 * What a caller does.
	 */
	@FunctionalInterface
	interface Body {

		Object run() throws Throwable;

	}

	/**
	 * Returns {@code "value of <context>"}; holds contexts starting with {@code hold}
	 * until released, and fails those containing {@code fail}.
	 */
	static final class GatedLoader implements Loader {

		private final Map<Object, CountDownLatch> gates = new ConcurrentHashMap<>();

		private final Set<Object> started = ConcurrentHashMap.newKeySet();

		boolean started(String context) {
			return this.started.contains(context);
		}

		void release(String context) {
			gate(context).countDown();
		}

		private CountDownLatch gate(Object context) {
			return this.gates.computeIfAbsent(context, (key) -> new CountDownLatch(1));
		}

		@Override
		public Object load(Object context) throws Throwable {
			this.started.add(context);
			if (context.toString().startsWith("hold") && !gate(context).await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("never released: " + context);
			}
			if (context.toString().contains("fail")) {
				throw new IllegalStateException("failure of " + context);
			}
			return "value of " + context;
		}

	}

	/**
	 * Reads every counter of a registry (each function counter and counter, each time
	 * gauge, each timer's count and total) and records any reading below the previous
	 * reading of the same counter. Samples are taken one at a time, in order.
	 */
	static final class CounterSampler {

		private final MeterRegistry registry;

		private final Map<String, Double> last = new HashMap<>();

		final List<String> decreases = new CopyOnWriteArrayList<>();

		volatile int samples;

		private volatile boolean stopped;

		CounterSampler(MeterRegistry registry) {
			this.registry = registry;
		}

		void sampleUntilStopped() {
			while (!this.stopped) {
				sample();
				Thread.onSpinWait();
			}
		}

		void stop() {
			this.stopped = true;
		}

		synchronized void sample() {
			for (Meter meter : this.registry.getMeters()) {
				String id = meter.getId().getName() + meter.getId().getTags();
				if (meter instanceof FunctionCounter counter) {
					record(id, counter.count());
				}
				else if (meter instanceof Counter counter) {
					record(id, counter.count());
				}
				else if (meter instanceof TimeGauge gauge) {
					record(id, gauge.value(TimeUnit.NANOSECONDS));
				}
				else if (meter instanceof Timer timer) {
					record(id + ".count", timer.count());
					record(id + ".total", timer.totalTime(TimeUnit.NANOSECONDS));
				}
			}
			this.samples++;
		}

		private void record(String id, double value) {
			Double previous = this.last.put(id, value);
			if (previous != null && value < previous) {
				this.decreases.add(id + " went from " + previous + " to " + value);
			}
		}

	}

}
