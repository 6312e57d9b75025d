package dev.cached.refresh;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link BackgroundRefresher}: when a read is due (by age, and by the XFetch
 * probability exp(−remaining / (β × Δ)), tested statistically with a seeded random and a
 * fake ticker, never with sleeps), and how failed reloads are logged.
 */
@ExtendWith(OutputCaptureExtension.class)
class BackgroundRefresherTests {

	private static final Duration TTL = Duration.ofHours(1);

	private static final long DELTA = Duration.ofMillis(100).toNanos();

	@Test
	void readIsDueFromRefreshAfterOn() {
		BackgroundRefresher refresher = refresher(new CacheSpec(TTL, null, null, null, Duration.ofMinutes(1), null,
				null), new SplittableRandom(1));
		long refreshAfter = Duration.ofMinutes(1).toNanos();
		assertThat(refresher.isDue(refreshAfter - 1, 1, DELTA)).isFalse();
		assertThat(refresher.isDue(refreshAfter, TTL.toNanos() - refreshAfter, DELTA)).isTrue();
		assertThat(refresher.isDue(refreshAfter + 1, TTL.toNanos(), 0)).isTrue();
	}

	@Test
	void withoutEarlyRefreshNoReadIsDueBeforeRefreshAfter() {
		BackgroundRefresher refresher = refresher(new CacheSpec(TTL, null, null, null, Duration.ofMinutes(1), null,
				null), neverAsked());
		assertThat(refresher.isDue(0, 0, DELTA)).isFalse();
		assertThat(refresher.isDue(Duration.ofSeconds(59).toNanos(), 1, Long.MAX_VALUE)).isFalse();
	}

	@Test
	void earlyRefreshNeverAsksTheRandomWhenTheProbabilityIsNegligibleOrTheLoadTimeUnknown() {
		BackgroundRefresher refresher = refresher(new CacheSpec(TTL, null, null, null, null, null, 1.0),
				neverAsked());
		assertThat(refresher.isDue(0, 41 * DELTA, DELTA)).isFalse();
		assertThat(refresher.isDue(0, 0, 0)).isFalse();
		assertThat(refresher.isDue(0, Long.MAX_VALUE, DELTA)).isFalse();
	}

	/**
	 * The XFetch curve: at each remaining time, the fraction of 20,000 reads that are
	 * due matches exp(−remaining / (β × Δ)) within five standard deviations of a binomial
	 * count (a seeded random, so the test is deterministic; the bound is what a correct
	 * curve meets for any seed but once in millions).
	 */
	@ParameterizedTest(name = "beta {0}, remaining {1} x delta")
	@CsvSource({ "1.0, 0", "1.0, 0.1", "1.0, 0.5", "1.0, 1", "1.0, 2", "1.0, 4", "2.0, 1", "2.0, 4", "0.5, 0.5",
			"0.5, 2" })
	void fractionOfDueReadsFollowsTheXFetchProbability(double beta, double remainingInDeltas) {
		BackgroundRefresher refresher = refresher(new CacheSpec(TTL, null, null, null, null, null, beta),
				new SplittableRandom(42));
		long remaining = (long) (remainingInDeltas * DELTA);
		int reads = 20_000;
		int due = 0;
		for (int i = 0; i < reads; i++) {
			if (refresher.isDue(0, remaining, DELTA)) {
				due++;
			}
		}
		double expected = Math.exp(-remainingInDeltas / beta);
		double sigma = Math.sqrt(expected * (1 - expected) / reads);
		assertThat((double) due / reads).isCloseTo(expected, within(5 * sigma + 1e-9));
	}

	/**
	 * The same curve end to end: 2,000 keys per point, each loaded with a load time of
	 * 100ms measured on a fake ticker, each read once at its own {@code remaining} time
	 * before expiry; the fraction of reads that started a background reload follows
	 * exp(−remaining / (β × Δ)), and every read returned the stored value.
	 */
	@ParameterizedTest(name = "remaining {0} x delta")
	@CsvSource({ "0.05", "0.5", "1", "2", "3" })
	void fractionOfReadsThatStartAReloadFollowsTheXFetchProbability(double remainingInDeltas) throws Throwable {
		AtomicLong nanos = new AtomicLong();
		Ticker ticker = nanos::get;
		RecordingExecutor executor = new RecordingExecutor();
		CacheSettings settings = CacheSettings.resolve("xfetch", new CacheSpec(TTL, null, null, null, null, null, 1.0),
				null, CacheSpec.NONE);
		CachedCache cache = new CachedCache("xfetch", settings, ticker, Runnable::run,
				new BackgroundRefresher("xfetch", settings, () -> executor, new SplittableRandom(7)));
		Loader loader = (context) -> {
			nanos.addAndGet(DELTA);
			return "value of " + context;
		};
		int keys = 2000;
		for (int i = 0; i < keys; i++) {
			cache.get(i, loader, i);
		}
		long remaining = (long) (remainingInDeltas * DELTA);
		for (int i = 0; i < keys; i++) {
			// key i was written when its load ended, at (i + 1) x delta
			long expiresAt = (i + 1) * DELTA + TTL.toNanos();
			nanos.set(expiresAt - remaining);
			assertThat(cache.get(i, loader, "read")).isEqualTo("value of " + i);
		}
		double expected = Math.exp(-remainingInDeltas);
		double sigma = Math.sqrt(expected * (1 - expected) / keys);
		assertThat((double) executor.tasks.size() / keys).isCloseTo(expected, within(5 * sigma + 1e-9));
		assertThat(cache.getStatistics().misses()).isEqualTo(keys);
		assertThat(cache.getStatistics().hits()).isEqualTo(keys);
	}

	@Test
	void probabilityIsExpOfMinusRemainingOverBetaDelta() {
		// exp is only promised within an ulp: certain at no time left, never above 1
		assertThat(BackgroundRefresher.probability(0)).isCloseTo(1.0, within(1e-12)).isLessThanOrEqualTo(1.0);
		assertThat(BackgroundRefresher.probability(1)).isCloseTo(Math.exp(-1), within(1e-12));
		assertThat(BackgroundRefresher.probability(-3)).isEqualTo(1.0);
	}

	@Test
	void executorIsAskedForOnceAtTheFirstReload() {
		AtomicInteger asked = new AtomicInteger();
		RecordingExecutor executor = new RecordingExecutor();
		BackgroundRefresher refresher = new BackgroundRefresher("c", settings(new CacheSpec(TTL, null, null, null,
				Duration.ofMinutes(1), null, null)), () -> {
					asked.incrementAndGet();
					return executor;
				}, new SplittableRandom(1));
		assertThat(asked).hasValue(0);
		refresher.execute(() -> {
		});
		refresher.execute(() -> {
		});
		assertThat(asked).hasValue(1);
		assertThat(executor.tasks).hasSize(2);
	}

	@Test
	void failureIsLoggedAtWarnOncePerKeyAndOutage(CapturedOutput output) {
		BackgroundRefresher refresher = refresher(new CacheSpec(TTL, null, null, null, Duration.ofMinutes(1), null,
				null), new SplittableRandom(1));
		refresher.failed("k1", new IllegalStateException("database down"));
		refresher.failed("k1", new IllegalStateException("database down"));
		refresher.failed("k2", new IllegalStateException("database down"));
		assertThat(warnings(output, "k1")).hasSize(1);
		assertThat(warnings(output, "k2")).hasSize(1);
		assertThat(output).contains("WARN").contains("Background refresh of cache 'rules' key 'k1' failed "
				+ "(java.lang.IllegalStateException: database down); the stored value is served until its ttl");
		refresher.succeeded("k1");
		assertThat(output).contains("Background refresh of cache 'rules' key 'k1' succeeded again");
		refresher.failed("k1", new IllegalStateException("down again"));
		assertThat(warnings(output, "k1")).hasSize(2);
		refresher.succeeded("k3");
		assertThat(output).doesNotContain("key 'k3'");
	}

	private static List<String> warnings(CapturedOutput output, String key) {
		return output.getOut()
			.lines()
			.filter((line) -> line.contains("WARN") && line.contains("key '" + key + "' failed"))
			.toList();
	}

	private static BackgroundRefresher refresher(CacheSpec spec, RandomGenerator random) {
		return new BackgroundRefresher("rules", settings(spec), RecordingExecutor::new, random);
	}

	private static CacheSettings settings(CacheSpec spec) {
		return CacheSettings.resolve("rules", spec, null, CacheSpec.NONE);
	}

	private static RandomGenerator neverAsked() {
		return () -> {
			throw new AssertionError("the random must not be asked");
		};
	}

	static final class RecordingExecutor implements Executor {

		final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

		@Override
		public void execute(@Nullable Runnable command) {
			this.tasks.add(command);
		}

	}

}
