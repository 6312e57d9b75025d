package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.cached.autoconfigure.observation.CachedObservationAutoConfiguration;
import dev.cached.observation.CachedLoadContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Hits with observations on: {@link HitBenchmarks#cachedKeyId}'s method
 * ({@code @Cached(key = "#id")}, same service class, keys, cursor and fork settings) in the
 * application with an {@link ObservationRegistry} that has a handler (as Boot's has, with
 * Actuator), so that the starter observes every load. Compare {@link #cachedKeyIdObserved}
 * with {@code HitBenchmarks.cachedKeyId} of the same run: hits are not observed, so the two
 * should not differ. The fork fails before measuring unless every key's one load was
 * observed, and after measuring if any hit was.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class ObservedHitBenchmarks {

	private ConfigurableApplicationContext context;

	private CachedService cached;

	private LongAdder loads;

	@Setup(Level.Trial)
	public void setUp() {
		this.context = new SpringApplicationBuilder(BenchmarkApplication.class, ObservedConfiguration.class)
			.web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.properties("spring.main.banner-mode=off", "logging.level.root=WARN")
			.run();
		this.cached = this.context.getBean(CachedService.class);
		this.loads = this.context.getBean(CountingHandler.class).loads;
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < Keys.COUNT; i++) {
				check(Keys.VALUES[i].equals(this.cached.byIdKey(i)), "byIdKey returned a wrong value for " + i);
			}
		}
		check(this.loads.sum() == Keys.COUNT, "expected one observed load per key, got " + this.loads.sum());
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		long observed = this.loads.sum();
		this.context.close();
		check(observed == Keys.COUNT, "a hit was observed: " + observed + " loads for " + Keys.COUNT + " keys");
	}

	@Benchmark
	public String cachedKeyIdObserved(HitBenchmarks.Cursor cursor) {
		return this.cached.byIdKey(cursor.next());
	}

	private static void check(boolean condition, String message) {
		if (!condition) {
			throw new IllegalStateException("ObservedHitBenchmarks: " + message);
		}
	}

	/** The observation registry, with one handler, and the starter's observations. */
	@SpringBootConfiguration(proxyBeanMethods = false)
	@ImportAutoConfiguration(CachedObservationAutoConfiguration.class)
	static class ObservedConfiguration {

		@Bean
		CountingHandler countingHandler() {
			return new CountingHandler();
		}

		@Bean
		ObservationRegistry observationRegistry(CountingHandler handler) {
			ObservationRegistry registry = ObservationRegistry.create();
			registry.observationConfig().observationHandler(handler);
			return registry;
		}

	}

	/** Counts the {@code cached.load} observations that stopped. */
	static final class CountingHandler implements ObservationHandler<CachedLoadContext> {

		final LongAdder loads = new LongAdder();

		@Override
		public void onStop(CachedLoadContext context) {
			this.loads.increment();
		}

		@Override
		public boolean supportsContext(Observation.Context context) {
			return context instanceof CachedLoadContext;
		}

	}

}
