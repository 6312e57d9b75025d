package dev.cached.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.metrics.CachedMetricsAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.SingleFlight;
import dev.cached.refresh.BackgroundRefreshers;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

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
					"cache.puts", "cache.evictions", "cache.size", "cache.loads{success}", "cache.loads{failure}",
					"cache.load.duration", "cache.inflight", "cache.refreshes{success}", "cache.refreshes{failure}");
			assertThat(count(registry, "cache.gets", "result", "hit")).isZero();
			assertThat(count(registry, "cache.gets", "result", "miss")).isZero();
			assertThat(count(registry, "cache.loads", "result", "success")).isZero();
			assertThat(registry.get("cache.size").tag("cache", CACHE).gauge().value()).isZero();
		});
	}

	@Test
	void everyMeterIsTaggedWithCacheNameAndCacheManager() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.find("cache.gets").tag("cache", CACHE).meters()).hasSize(2)
				.allSatisfy((meter) -> assertThat(meter.getId().getTag("cache.manager")).isEqualTo("cached"));
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
			assertThat(count(registry, "cache.loads", "result", "success")).isEqualTo(1);
			assertThat(count(registry, "cache.loads", "result", "failure")).isZero();
			assertThat(count(registry, "cache.puts")).isEqualTo(1);
			assertThat(registry.get("cache.inflight").tag("cache", CACHE).gauge().value()).isZero();
			assertThat(registry.get("cache.size").tag("cache", CACHE).gauge().value()).isEqualTo(1);
		});
	}

	@Test
	void hitsAndMissesAddUpToCallsAndLoadDurationIsTheEnginesTotal() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			SlowService service = context.getBean(SlowService.class);
			service.release();
			for (int i = 0; i < 10; i++) {
				service.load("k" + (i % 3));
			}
			assertThat(count(registry, "cache.gets", "result", "hit")).isEqualTo(7);
			assertThat(count(registry, "cache.gets", "result", "miss")).isEqualTo(3);
			assertThat(count(registry, "cache.loads", "result", "success")).isEqualTo(3);
			CachedCache cache = context.getBean(CacheRegistry.class).getCache(CACHE);
			Timer loadDuration = registry.get("cache.load.duration").tag("cache", CACHE).timer();
			assertThat(loadDuration.count()).isEqualTo(3);
			assertThat(loadDuration.totalTime(TimeUnit.NANOSECONDS))
				.isEqualTo((double) cache.getStatistics().totalLoadNanos())
				.isPositive();
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
			assertThat(count(registry, "cache.loads", "result", "failure")).isEqualTo(1);
			assertThat(count(registry, "cache.loads", "result", "success")).isZero();
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
		SingleFlight.Loader loader = (context) -> {
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

}
