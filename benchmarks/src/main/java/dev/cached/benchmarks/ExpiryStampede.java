package dev.cached.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import dev.cached.refresh.BackgroundRefreshers;

/**
 * What the expiry-stampede settings buy: 1,000 keys, loaded together (so they expire
 * together), then read at random by 64 threads, each about once a millisecond (like
 * request threads), through several ttls. A read that
 * blocks on a load is one that ran the method or joined a running load (the cache's
 * {@code misses + coalesced}); every other read was answered from the store at once. Each
 * variant is the same workload on the engine with one setting changed: nothing,
 * {@code early-refresh-beta}, {@code refresh-after}, {@code ttl-jitter}. The method
 * "takes" its load time by parking (standing in for a database call). The peak number of
 * loads running at once (sampled every millisecond) is what the database would see.
 * <p>
 * Run with {@code java -cp ... dev.cached.benchmarks.ExpiryStampede [seconds]} (see
 * {@code docs/benchmarks.md}).
 */
public final class ExpiryStampede {

	static final int KEYS = 1000;

	static final Duration TTL = Duration.ofSeconds(2);

	static final Duration LOAD_TIME = Duration.ofMillis(50);

	/** Reader threads, each reading a random key about every {@link #PACE}. */
	static final int READERS = 64;

	static final Duration PACE = Duration.ofMillis(1);

	/** Threads of the refresh executor: enough that reloads never queue. */
	static final int REFRESH_THREADS = 64;

	private ExpiryStampede() {
	}

	public static void main(String[] args) throws Exception {
		Duration run = Duration.ofSeconds((args.length > 0) ? Long.parseLong(args[0]) : 6);
		System.out.printf(Locale.ROOT, "%d keys loaded together, ttl %s, load time %s, %d reader threads each "
				+ "reading a random key every %s, refresh executor of %d threads, %s per variant (load average %s)%n%n",
				KEYS, TTL, LOAD_TIME, READERS, PACE, REFRESH_THREADS, run, loadAverage());
		System.out.println("| variant | reads | blocking reads | blocking per 1,000,000 reads | loads | "
				+ "background reloads (ok/failed) | peak loads at once |");
		System.out.println("|---|---|---|---|---|---|---|");
		measure("none (ttl only)", new CacheSpec(TTL, null, null, null), run);
		measure("early-refresh-beta: 1.0", new CacheSpec(TTL, null, null, null, null, null, 1.0), run);
		measure("early-refresh-beta: 4.0", new CacheSpec(TTL, null, null, null, null, null, 4.0), run);
		measure("refresh-after: 1500ms", new CacheSpec(TTL, null, null, null, Duration.ofMillis(1500), null, null),
				run);
		measure("ttl-jitter: 0.2", new CacheSpec(TTL, null, null, null, null, 0.2, null), run);
	}

	private static void measure(String variant, CacheSpec spec, Duration run) throws Exception {
		ThreadPoolExecutor refreshExecutor = new ThreadPoolExecutor(REFRESH_THREADS, REFRESH_THREADS, 1,
				TimeUnit.SECONDS,
				new ArrayBlockingQueue<>(10_000));
		CacheRegistry registry = new CacheRegistry((name) -> spec, CacheSpec.NONE, Ticker.systemTicker(),
				Runnable::run, new BackgroundRefreshers(() -> refreshExecutor));
		// Caffeine's maintenance runs on the caller (Runnable::run), as in the tests
		CachedCache cache = registry.register("expiry", ExpiryStampede.class.getDeclaredMethod("load", Object.class),
				false, null);
		Loader loader = ExpiryStampede::load;
		prime(cache, loader);
		CacheStatistics statistics = cache.getStatistics();
		long blockedBefore = statistics.misses() + statistics.coalesced();
		long loadsBefore = statistics.loadSuccesses() + statistics.loadFailures();
		AtomicLong reads = new AtomicLong();
		AtomicLong peak = new AtomicLong();
		long end = System.nanoTime() + run.toNanos();
		List<Thread> readers = new ArrayList<>();
		for (int r = 0; r < READERS; r++) {
			Thread reader = new Thread(() -> {
				long count = 0;
				try {
					while (System.nanoTime() < end) {
						int key = ThreadLocalRandom.current().nextInt(KEYS);
						cache.get(key, loader, key);
						count++;
						LockSupport.parkNanos(PACE.toNanos());
					}
				}
				catch (Throwable ex) {
					throw new IllegalStateException(ex);
				}
				reads.addAndGet(count);
			}, "reader-" + r);
			readers.add(reader);
			reader.start();
		}
		Thread monitor = new Thread(() -> {
			while (System.nanoTime() < end) {
				peak.accumulateAndGet(statistics.inFlight(), Math::max);
				LockSupport.parkNanos(PACE.toNanos());
			}
		}, "monitor");
		monitor.start();
		for (Thread reader : readers) {
			reader.join();
		}
		monitor.join();
		refreshExecutor.shutdown();
		refreshExecutor.awaitTermination(10, TimeUnit.SECONDS);
		long blocked = statistics.misses() + statistics.coalesced() - blockedBefore;
		long loads = statistics.loadSuccesses() + statistics.loadFailures() - loadsBefore;
		System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %.1f | %,d | %,d/%,d | %d |%n", variant, reads.get(),
				blocked, blocked * 1_000_000.0 / reads.get(), loads, statistics.refreshSuccesses(),
				statistics.refreshFailures(), peak.get());
	}

	/** Loads every key at about the same time, 50 at a time. */
	private static void prime(CachedCache cache, Loader loader) throws InterruptedException {
		CountDownLatch done = new CountDownLatch(50);
		for (int t = 0; t < 50; t++) {
			int first = t;
			Thread thread = new Thread(() -> {
				try {
					for (int i = first; i < KEYS; i += 50) {
						cache.get(i, loader, i);
					}
				}
				catch (Throwable ex) {
					throw new IllegalStateException(ex);
				}
				finally {
					done.countDown();
				}
			});
			thread.start();
		}
		done.await();
	}

	static Object load(Object key) {
		// stands in for a database call of LOAD_TIME
		LockSupport.parkNanos(LOAD_TIME.toNanos());
		return "value of " + key;
	}

	private static String loadAverage() {
		return String.format(Locale.ROOT, "%.2f",
				java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
	}

}
