package dev.cached.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.TIMEOUT;
import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for the expiry-stampede settings of {@link CachedCache}: refresh-ahead through the
 * {@link Refresher} seam on the single-flight registry, and ttl jitter. A fake ticker
 * stands in for time and a {@link ManualRefresher} holds background reloads until the
 * test runs them, so every interleaving is chosen by the test. The concurrency tests were
 * each run once against an engine broken on purpose and went red there (see the Javadoc
 * of each).
 */
class CachedCacheTests {

	private static final Duration TTL = Duration.ofMinutes(10);

	private static final Duration REFRESH_AFTER = Duration.ofMinutes(1);

	private final AtomicLong nanos = new AtomicLong();

	private final Ticker ticker = this.nanos::get;

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	@AfterEach
	void stopThreads() throws InterruptedException {
		for (Thread thread : this.threads) {
			thread.interrupt();
		}
		for (Thread thread : this.threads) {
			thread.join(TIMEOUT.toMillis());
		}
	}

	@Nested
	class RefreshAfter {

		/**
		 * One reload however many stale reads: 64 threads read a stale entry at once;
		 * each gets the stored value at once and exactly one reload is started. Went red
		 * (64 reloads queued) with {@code SingleFlight.refresh} registering its load with
		 * {@code put} instead of {@code putIfAbsent} and without the in-flight check.
		 */
		@Test
		void manyConcurrentStaleReadsReturnTheStoredValueAndStartOneReload() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			assertThat(cache.get("key", loader, "first")).isEqualTo("value 1 of first");
			advance(REFRESH_AFTER.plusSeconds(1));
			CyclicBarrier start = new CyclicBarrier(64);
			List<FutureTask<@Nullable Object>> reads = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				String context = "reader " + i;
				reads.add(start(() -> {
					start.await();
					return cache.get("key", loader, context);
				}));
			}
			for (FutureTask<@Nullable Object> read : reads) {
				assertThat(read.get()).isEqualTo("value 1 of first");
			}
			assertThat(refresher.tasks).hasSize(1);
			assertThat(loader.executions()).isEqualTo(1);
			assertThat(cache.inFlightKeys()).isOne();
			refresher.runAll();
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(loader.contexts.get(1)).startsWith("copy of reader ");
			assertThat(cache.peek("key")).isEqualTo("value 2 of " + loader.contexts.get(1));
			assertThat(cache.inFlightKeys()).isZero();
			CacheStatistics statistics = cache.getStatistics();
			assertThat(statistics.hits()).isEqualTo(64);
			assertThat(statistics.misses()).isOne();
			assertThat(statistics.refreshSuccesses()).isOne();
			assertThat(statistics.refreshFailures()).isZero();
			assertThat(statistics.loadSuccesses()).isEqualTo(2);
			assertThat(refresher.succeeded).containsExactly("key");
		}

		@Test
		void reloadRunsWithACopyOfTheTriggeringCallsContextAndIsNotDueBeforeRefreshAfter() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER.minusNanos(1));
			assertThat(cache.get("key", loader, "early")).isEqualTo("value 1 of first");
			assertThat(refresher.tasks).isEmpty();
			advance(Duration.ofNanos(1));
			assertThat(cache.get("key", loader, "stale")).isEqualTo("value 1 of first");
			refresher.runAll();
			assertThat(loader.contexts).containsExactly("first", "copy of stale");
			assertThat(cache.get("key", loader, "after")).isEqualTo("value 2 of copy of stale");
			assertThat(refresher.tasks).isEmpty();
		}

		/**
		 * G8 for reloads: an invalidation while a reload runs wins, its result is not
		 * stored. Went red (the reloaded value was stored) with the publish ignoring
		 * {@code load.isInvalidated()}.
		 */
		@Test
		void invalidationWhileAReloadRunsWins() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			cache.get("key", loader, "stale");
			loader.duringNextLoad = (context) -> cache.invalidate("key");
			refresher.runAll();
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.peek("key")).isNull();
			assertThat(cache.getStatistics().refreshSuccesses()).isOne();
			assertThat(cache.get("key", loader, "next")).isEqualTo("value 3 of next");
		}

		@Test
		void invalidationOfAllEntriesWhileAReloadRunsWins() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			cache.get("key", loader, "stale");
			loader.duringNextLoad = (context) -> cache.invalidateAll();
			refresher.runAll();
			assertThat(cache.peek("key")).isNull();
		}

		/**
		 * A reload never overwrites a value written after the entry it started from, even
		 * when that write did not detach the reload: a put whose detaching step ran just
		 * before a stale read registered the reload, and whose store write lands while the
		 * reload runs (here the write goes straight to the store, standing in for that
		 * interleaving). Went red (the reload's older value replaced the newer entry) with
		 * the publish ignoring {@code load.replaces()}.
		 */
		@Test
		void reloadThatLandsAfterANewerWriteItDidNotSeeDoesNotOverwriteIt() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			cache.get("key", loader, "stale");
			StoredEntry newer = new StoredEntry("newer", CachedCacheTests.this.nanos.get());
			loader.duringNextLoad = (context) -> cache.getNativeCache().put("key", newer);
			refresher.runAll();
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.getNativeCache().getIfPresent("key")).isSameAs(newer);
			assertThat(cache.get("key", loader, "next")).isEqualTo("newer");
		}

		/**
		 * A put while a reload runs wins over it, as over a load.
		 */
		@Test
		void reloadThatLandsAfterANewerWriteDoesNotOverwriteIt() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			cache.get("key", loader, "stale");
			loader.duringNextLoad = (context) -> cache.put("key", "newer");
			refresher.runAll();
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(cache.peek("key")).isEqualTo("newer");
			assertThat(cache.get("key", loader, "next")).isEqualTo("newer");
		}

		@Test
		void reloadOfAnEntryThatExpiredMeanwhileIsStored() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			cache.get("key", loader, "stale");
			advance(TTL);
			refresher.runAll();
			assertThat(cache.peek("key")).isEqualTo("value 2 of copy of stale");
		}

		/**
		 * A caller that misses the store while a reload of its key runs (the entry expired
		 * meanwhile) joins the reload: one registry, one execution.
		 */
		@Test
		void callerThatMissesWhileAReloadRunsJoinsIt() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			cache.get("key", loader, "stale");
			advance(TTL);
			FutureTask<@Nullable Object> joiner = start(() -> cache.get("key", loader, "joiner"));
			await().until(() -> cache.getStatistics().coalesced() == 1);
			FutureTask<@Nullable Object> reload = start(() -> {
				refresher.runAll();
				return null;
			});
			reload.get();
			assertThat(joiner.get()).isEqualTo("value 2 of copy of stale");
			assertThat(loader.executions()).isEqualTo(2);
			assertThat(loader.threads.get(1)).isNotSameAs(loader.threads.get(0));
		}

		@Test
		void failedReloadKeepsTheStoredValueIsCountedAndTheNextStaleReadTriesAgain() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			loader.failNext = true;
			assertThat(cache.get("key", loader, "stale")).isEqualTo("value 1 of first");
			refresher.runAll();
			assertThat(cache.peek("key")).isEqualTo("value 1 of first");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().refreshFailures()).isOne();
			assertThat(cache.getStatistics().loadFailures()).isOne();
			assertThat(refresher.failed).containsExactly("key");
			assertThat(cache.get("key", loader, "again")).isEqualTo("value 1 of first");
			assertThat(refresher.tasks).hasSize(1);
			refresher.runAll();
			assertThat(cache.peek("key")).isEqualTo("value 3 of copy of again");
			assertThat(cache.getStatistics().refreshSuccesses()).isOne();
			// the reloaded entry lives a whole ttl from its reload, past the old one's expiry
			advance(TTL.minusSeconds(1));
			assertThat(cache.peek("key")).isEqualTo("value 3 of copy of again");
		}

		@Test
		void failedReloadLeavesTheEntryToExpireAtItsTtl() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			loader.failNext = true;
			cache.get("key", loader, "stale");
			refresher.runAll();
			advance(TTL.minus(REFRESH_AFTER));
			assertThat(cache.peek("key")).isNull();
		}

		@Test
		void refusedReloadIsCountedAsAFailureAndFreesTheKey() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			refresher.reject = true;
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(REFRESH_AFTER);
			assertThat(cache.get("key", loader, "stale")).isEqualTo("value 1 of first");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().refreshFailures()).isOne();
			assertThat(refresher.failed).containsExactly("key");
			assertThat(loader.executions()).isOne();
		}

		@Test
		void putEntriesRefreshByAgeToo() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.put("key", "put");
			advance(REFRESH_AFTER);
			assertThat(cache.get("key", loader, "stale")).isEqualTo("put");
			refresher.runAll();
			assertThat(cache.peek("key")).isEqualTo("value 1 of copy of stale");
		}

		@Test
		void refreshAfterAloneKeepsOnlyTheWriteTimeAndDerivesTheRemainingTtl() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			assertThat(cache.getNativeCache().getIfPresent("key")).isExactlyInstanceOf(StoredEntry.class);
			advance(Duration.ofSeconds(10));
			cache.get("key", loader, "read");
			assertThat(refresher.asked).containsExactly(new long[] { Duration.ofSeconds(10).toNanos(),
					TTL.minusSeconds(10).toNanos(), 0 });
		}

		@Test
		void cacheWithoutRefreshStoresValuesWithoutMetadata() throws Throwable {
			CachedCache cache = new CachedCache("plain", settings(new CacheSpec(TTL, null, null, null)), ticker,
					Runnable::run);
			cache.get("key", new CountingLoader(), "first");
			assertThat(cache.getNativeCache().getIfPresent("key")).isEqualTo("value 1 of first");
		}

	}

	@Nested
	class AsyncRefresh {

		/**
		 * An asynchronous method refreshes too: a stale read completes at once with the
		 * stored value, the reload waits for the method's new future on the refresh
		 * executor, and the stored value stays until that future completes.
		 */
		@Test
		void staleAsyncReadCompletesWithTheStoredValueWhichStaysUntilTheNewFutureCompletes() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			List<CompletableFuture<Object>> futures = new CopyOnWriteArrayList<>();
			List<Object> contexts = new CopyOnWriteArrayList<>();
			AsyncLoader loader = new AsyncLoader() {

				@Override
				public CompletableFuture<Object> loadAsync(Object context) {
					contexts.add(context);
					CompletableFuture<Object> future = new CompletableFuture<>();
					futures.add(future);
					return future;
				}

				@Override
				public Object refreshContext(Object context) {
					return "copy of " + context;
				}

			};
			CompletableFuture<@Nullable Object> first = cache.getAsync("key", loader, "first");
			futures.get(0).complete("old");
			assertThat(first.get()).isEqualTo("old");
			advance(REFRESH_AFTER);
			CompletableFuture<@Nullable Object> stale = cache.getAsync("key", loader, "stale");
			assertThat(stale).isCompletedWithValue("old");
			assertThat(refresher.tasks).hasSize(1);
			FutureTask<@Nullable Object> reload = start(() -> {
				refresher.runAll();
				return null;
			});
			await().until(() -> futures.size() == 2);
			assertThat(contexts).containsExactly("first", "copy of stale");
			assertThat(cache.getAsync("key", loader, "meanwhile")).isCompletedWithValue("old");
			assertThat(cache.peek("key")).isEqualTo("old");
			assertThat(reload.isDone()).isFalse();
			futures.get(1).complete("new");
			reload.get();
			assertThat(cache.peek("key")).isEqualTo("new");
			assertThat(cache.getAsync("key", loader, "after")).isCompletedWithValue("new");
			assertThat(cache.getStatistics().refreshSuccesses()).isOne();
			assertThat(cache.inFlightKeys()).isZero();
		}

		@Test
		void failedAsyncReloadKeepsTheStoredValue() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			CachedCache cache = refreshingCache(refresher);
			AtomicInteger calls = new AtomicInteger();
			AsyncLoader loader = (context) -> (calls.incrementAndGet() == 1)
					? CompletableFuture.completedFuture("old")
					: CompletableFuture.failedFuture(new IllegalStateException("down"));
			cache.getAsync("key", loader, "first").get();
			advance(REFRESH_AFTER);
			assertThat(cache.getAsync("key", loader, "stale")).isCompletedWithValue("old");
			refresher.runAll();
			assertThat(cache.peek("key")).isEqualTo("old");
			assertThat(cache.getStatistics().refreshFailures()).isOne();
			assertThat(refresher.failed).containsExactly("key");
		}

	}

	/**
	 * A background reload goes through the cache's tier, where a tier shared by several
	 * instances lets one instance reload a key.
	 */
	@Nested
	class ReloadSeam {

		@Test
		void reloadThatTheTierDeclinesRunsNothingAndFreesTheKey() throws Throwable {
			RecordingStore store = new RecordingStore();
			SingleFlight singleFlight = new SingleFlight("seam", store, new CacheStatistics(), null,
					CachedCacheTests.this.ticker);
			ReloadingTier tier = new ReloadingTier(store.events, false);
			singleFlight.setTier(tier);
			ManualRefresher refresher = new ManualRefresher();
			CountingLoader loader = new CountingLoader();
			singleFlight.refresh("key", "stored", "value", loader, "stale", refresher);
			refresher.runAll();
			assertThat(loader.executions()).isZero();
			assertThat(store.events).containsExactly("reload key");
			assertThat(singleFlight.inFlightKeys()).isZero();
			assertThat(refresher.succeeded).isEmpty();
			assertThat(refresher.failed).isEmpty();
		}

		@Test
		void reloadThatTheTierLetsRunEndsInTheTierBeforeItPublishes() throws Throwable {
			RecordingStore store = new RecordingStore();
			SingleFlight singleFlight = new SingleFlight("seam", store, new CacheStatistics(), null,
					CachedCacheTests.this.ticker);
			singleFlight.setTier(new ReloadingTier(store.events, true));
			ManualRefresher refresher = new ManualRefresher();
			CountingLoader loader = new CountingLoader();
			singleFlight.refresh("key", "stored", "value", loader, "stale", refresher);
			loader.failNext = false;
			refresher.runAll();
			assertThat(store.events).containsExactly("reload key", "end key", "publish key value 1 of copy of stale");
			singleFlight.refresh("key", "stored", "value", loader, "again", refresher);
			loader.failNext = true;
			refresher.runAll();
			assertThat(store.events).endsWith("reload key", "end key");
			assertThat(singleFlight.inFlightKeys()).isZero();
		}

	}

	static final class RecordingStore implements Store {

		final List<String> events = new CopyOnWriteArrayList<>();

		@Override
		public @Nullable Object lookup(Object key) {
			return null;
		}

		@Override
		public void publish(Object key, @Nullable Object value, Load load) {
			this.events.add("publish " + key + " " + value);
		}

	}

	/** A tier that lets a reload run (ending it in a finally block) or skips it. */
	static final class ReloadingTier implements RemoteCache {

		private final List<String> events;

		private final boolean runs;

		ReloadingTier(List<String> events, boolean runs) {
			this.events = events;
			this.runs = runs;
		}

		@Override
		public @Nullable Object reload(Object key, Load load, long takeIfRemainingAbove, Call call) throws Throwable {
			this.events.add("reload " + key);
			if (!this.runs) {
				return SKIPPED;
			}
			try {
				return call.run();
			}
			finally {
				this.events.add("end " + key);
			}
		}

		@Override
		public @Nullable Object load(Object key, Load load, Call call) throws Throwable {
			return LOCAL.load(key, load, call);
		}

		@Override
		public java.util.concurrent.@Nullable CompletionStage<?> loadAsync(Object key, Load load, AsyncCall call)
				throws Throwable {
			return LOCAL.loadAsync(key, load, call);
		}

		@Override
		public void put(Object key, @Nullable Object value, long ttlNanos) {
		}

		@Override
		public void invalidate(Object key) {
		}

		@Override
		public void invalidateAll() {
		}

	}

	@Nested
	class EarlyRefresh {

		@Test
		void refresherIsAskedWithTheEntrysAgeRemainingTtlAndMeasuredLoadTime() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			refresher.due = (age, remaining, load) -> false;
			CachedCache cache = new CachedCache("early", settings(new CacheSpec(TTL, null, null, null, null, null,
					1.0)), CachedCacheTests.this.ticker, Runnable::run, refresher);
			CountingLoader loader = new CountingLoader();
			loader.duringNextLoad = (context) -> advance(Duration.ofMillis(250));
			cache.get("key", loader, "first");
			advance(Duration.ofMinutes(3));
			cache.get("key", loader, "read");
			assertThat(refresher.asked).containsExactly(new long[] { Duration.ofMinutes(3).toNanos(),
					TTL.minusMinutes(3).toNanos(), Duration.ofMillis(250).toNanos() });
		}

		@Test
		void dueReadReturnsTheStoredValueAndStartsAReload() throws Throwable {
			ManualRefresher refresher = new ManualRefresher();
			refresher.due = (age, remaining, load) -> remaining < Duration.ofSeconds(1).toNanos();
			CachedCache cache = new CachedCache("early", settings(new CacheSpec(TTL, null, null, null, null, null,
					1.0)), CachedCacheTests.this.ticker, Runnable::run, refresher);
			CountingLoader loader = new CountingLoader();
			cache.get("key", loader, "first");
			advance(TTL.minusMillis(500));
			assertThat(cache.get("key", loader, "late")).isEqualTo("value 1 of first");
			refresher.runAll();
			advance(Duration.ofSeconds(1));
			assertThat(cache.get("key", loader, "after")).isEqualTo("value 2 of copy of late");
			assertThat(cache.getStatistics().misses()).isOne();
		}

	}

	@Nested
	class TtlJitter {

		/**
		 * Entries written together expire spread over ttl × (1 ± jitter): each drawn ttl
		 * lies within the bounds, the draws cover the range, and with the fake ticker
		 * none has expired before the lower bound, about half at the ttl, all after the
		 * upper bound.
		 */
		@Test
		void entriesWrittenTogetherExpireSpreadWithinTheBounds() throws Throwable {
			Duration ttl = Duration.ofSeconds(100);
			CachedCache cache = new CachedCache("jitter", settings(new CacheSpec(ttl, null, null, null, null, 0.2, null)),
					CachedCacheTests.this.ticker, Runnable::run);
			CountingLoader loader = new CountingLoader();
			for (int i = 0; i < 1000; i++) {
				cache.get(i, loader, "write");
			}
			Policy.VarExpiration<Object, Object> expiry = cache.getNativeCache().policy().expireVariably().orElseThrow();
			long min = Long.MAX_VALUE;
			long max = Long.MIN_VALUE;
			java.util.Set<Long> distinct = new java.util.HashSet<>();
			for (int i = 0; i < 1000; i++) {
				long expiresAfter = expiry.getExpiresAfter(i).orElseThrow().toNanos();
				min = Math.min(min, expiresAfter);
				max = Math.max(max, expiresAfter);
				distinct.add(expiresAfter);
			}
			assertThat(min).isGreaterThanOrEqualTo(Duration.ofSeconds(80).toNanos())
				.isLessThan(Duration.ofSeconds(82).toNanos());
			assertThat(max).isLessThanOrEqualTo(Duration.ofSeconds(120).toNanos())
				.isGreaterThan(Duration.ofSeconds(118).toNanos());
			assertThat(distinct).hasSizeGreaterThan(990);
			advance(Duration.ofSeconds(80).minusNanos(1));
			assertThat(liveEntries(cache)).isEqualTo(1000);
			advance(Duration.ofSeconds(20));
			assertThat(liveEntries(cache)).isBetween(400L, 600L);
			advance(Duration.ofSeconds(20).plusNanos(1));
			assertThat(liveEntries(cache)).isZero();
		}

		@Test
		void refreshingEntriesCarryTheirDrawnTtl() throws Throwable {
			Duration ttl = Duration.ofSeconds(100);
			ManualRefresher refresher = new ManualRefresher();
			refresher.due = (age, remaining, load) -> false;
			CachedCache cache = new CachedCache("jitter", settings(new CacheSpec(ttl, null, null, null, null, 0.5,
					1.0)), CachedCacheTests.this.ticker, Runnable::run, refresher);
			CountingLoader loader = new CountingLoader();
			Policy.VarExpiration<Object, Object> expiry = cache.getNativeCache().policy().expireVariably().orElseThrow();
			for (int i = 0; i < 200; i++) {
				cache.get(i, loader, "write");
				cache.get(i, loader, "read");
				long remaining = refresher.asked.get(i)[1];
				assertThat(remaining).isBetween(Duration.ofSeconds(50).toNanos(), Duration.ofSeconds(150).toNanos());
				assertThat(expiry.getExpiresAfter(i).orElseThrow().toNanos()).isEqualTo(remaining);
			}
		}

		@Test
		void withoutJitterEveryEntryLivesTheTtl() {
			CachedCache cache = new CachedCache("exact", settings(new CacheSpec(TTL, null, null, null, null, 0.0, null)),
					CachedCacheTests.this.ticker, Runnable::run);
			assertThat(cache.getNativeCache().policy().expireAfterWrite().orElseThrow().getExpiresAfter())
				.isEqualTo(TTL);
		}

		private long liveEntries(CachedCache cache) {
			cache.getNativeCache().cleanUp();
			return cache.getNativeCache().estimatedSize();
		}

	}

	@Nested
	class Settings {

		@Test
		void refreshAfterWithoutTtlIsRejectedNamingTheCacheAndTheValue() {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CacheSettings.resolve("Rules.all", new CacheSpec(null, null, null, null,
						REFRESH_AFTER, null, null), null, CacheSpec.NONE))
				.withMessage("uses cache 'Rules.all', whose refresh-after 1m (cached.caches.[Rules.all].refresh-after) "
						+ "needs a ttl, but the cache has none; set a ttl above 1m or remove refresh-after");
		}

		@Test
		void refreshAfterNotBelowTheTtlIsRejectedNamingTheCacheAndBothValues() {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> CacheSettings.resolve("rules", CacheSpec.NONE, Duration.ofSeconds(30),
						new CacheSpec(null, null, null, null, Duration.ofSeconds(30), null, null)))
				.withMessage("uses cache 'rules', whose refresh-after 30s (cached.defaults.refresh-after) is not "
						+ "below its ttl 30s (annotation); set refresh-after below the ttl");
		}

		@Test
		void earlyRefreshAndJitterWithoutTtlDoNothing() {
			CacheSettings settings = settings(new CacheSpec(null, null, null, null, null, 0.3, 2.0));
			assertThat(settings.isRefreshing()).isFalse();
			assertThat(settings.jitter()).isZero();
			assertThat(settings.ttlJitter()).isEqualTo(new Setting<>(0.3, SettingSource.CACHE));
		}

		@Test
		void registryWithoutRefresherRejectsACacheThatRefreshes() throws Exception {
			CacheRegistry registry = new CacheRegistry((name) -> new CacheSpec(TTL, null, null, null, REFRESH_AFTER,
					null, null), CacheSpec.NONE);
			assertThatIllegalArgumentException()
				.isThrownBy(() -> registry.register("r", Object.class.getMethod("toString"), false, null))
				.withMessage("uses cache 'r', which refreshes ahead (refresh-after or early-refresh-beta), but the cache "
						+ "registry was created without a Refresher.Factory that can refresh it");
		}

	}

	private CachedCache refreshingCache(Refresher refresher) {
		return new CachedCache("refreshing", settings(new CacheSpec(TTL, null, null, null, REFRESH_AFTER, null, null)),
				this.ticker, Runnable::run, refresher);
	}

	private static CacheSettings settings(CacheSpec spec) {
		return CacheSettings.resolve("cache", spec, null, CacheSpec.NONE);
	}

	private void advance(Duration duration) {
		this.nanos.addAndGet(duration.toNanos());
	}

	private FutureTask<@Nullable Object> start(SingleFlightTests.Body body) {
		FutureTask<@Nullable Object> task = new FutureTask<>(() -> {
			try {
				return body.run();
			}
			catch (Exception | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new java.util.concurrent.ExecutionException(ex);
			}
		});
		Thread thread = new Thread(task, "reader-" + this.threads.size());
		thread.setDaemon(true);
		this.threads.add(thread);
		thread.start();
		return task;
	}

	/**
	 * Returns {@code "value <n> of <context>"}, n counting executions; refresh contexts
	 * are {@code "copy of <context>"}. Can fail or act during its next execution.
	 */
	static final class CountingLoader implements Loader {

		private final AtomicInteger executions = new AtomicInteger();

		final List<String> contexts = new CopyOnWriteArrayList<>();

		final List<Thread> threads = new CopyOnWriteArrayList<>();

		volatile @Nullable Consumer<Object> duringNextLoad;

		volatile boolean failNext;

		int executions() {
			return this.executions.get();
		}

		@Override
		public @Nullable Object load(Object context) {
			int n = this.executions.incrementAndGet();
			this.contexts.add((String) context);
			this.threads.add(Thread.currentThread());
			Consumer<Object> during = this.duringNextLoad;
			this.duringNextLoad = null;
			if (during != null) {
				during.accept(context);
			}
			if (this.failNext) {
				this.failNext = false;
				throw new IllegalStateException("load " + n + " failed");
			}
			return "value " + n + " of " + context;
		}

		@Override
		public Object refreshContext(Object context) {
			return "copy of " + context;
		}

	}

	/**
	 * A refresher that is due by age ({@link #REFRESH_AFTER}) unless told otherwise,
	 * queues reloads until the test runs them, and records what it is told.
	 */
	static final class ManualRefresher implements Refresher {

		final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

		final List<long[]> asked = new CopyOnWriteArrayList<>();

		final List<Object> succeeded = new CopyOnWriteArrayList<>();

		final List<Object> failed = new CopyOnWriteArrayList<>();

		volatile Due due = (age, remaining, load) -> age >= REFRESH_AFTER.toNanos();

		volatile boolean reject;

		@Override
		public boolean isDue(long ageNanos, long remainingNanos, long loadNanos) {
			this.asked.add(new long[] { ageNanos, remainingNanos, loadNanos });
			return this.due.isDue(ageNanos, remainingNanos, loadNanos);
		}

		@Override
		public void execute(Runnable reload) {
			if (this.reject) {
				throw new RejectedExecutionException("full");
			}
			this.tasks.add(reload);
		}

		void runAll() {
			Runnable task;
			while ((task = this.tasks.poll()) != null) {
				task.run();
			}
		}

		@Override
		public void succeeded(Object key) {
			this.succeeded.add(key);
		}

		@Override
		public void failed(Object key, Throwable failure) {
			this.failed.add(key);
		}

		@FunctionalInterface
		interface Due {

			boolean isDue(long age, long remaining, long load);

		}

	}

}
