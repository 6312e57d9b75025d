package dev.cached.engine;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static dev.cached.testing.Awaits.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for the engine's seam to a tier shared by several instances
 * ({@link RemoteTier}, {@link RemoteCache}): two registries stand for two instances of an
 * application, attached to one tier kept in memory. The tier here is a stand-in for the
 * shape of the seam only; the Redis tier itself is tested against a real Redis server.
 */
class SharedTierSeamTests {

	private final SharedMemoryTier tier = new SharedMemoryTier();

	private final CacheRegistry first = instance();

	private final CacheRegistry second = instance();

	private CacheRegistry instance() {
		CacheSpec remote = new CacheSpec(Duration.ofMinutes(5), null, null, null, null, null, null, true);
		CacheRegistry registry = new CacheRegistry((name) -> name.startsWith("remote") ? remote : CacheSpec.NONE,
				CacheSpec.NONE);
		registry.setRemoteTier(this.tier);
		return registry;
	}

	private static Method method() throws NoSuchMethodException {
		return SharedTierSeamTests.class.getDeclaredMethod("value", String.class);
	}

	@SuppressWarnings("unused")
	private static String value(String key) {
		return key;
	}

	@Test
	void aValueLoadedOnOneInstanceIsAHitOnTheOtherWithoutExecution() throws Throwable {
		CachedCache a = this.first.register("remote", method(), false, null);
		CachedCache b = this.second.register("remote", method(), false, null);
		AtomicInteger executions = new AtomicInteger();
		Loader loader = (context) -> "v" + executions.incrementAndGet();
		assertThat(a.get("k", loader, "ctx")).isEqualTo("v1");
		assertThat(b.get("k", loader, "ctx")).isEqualTo("v1");
		// the second read on B is a local hit of the entry taken from the shared tier
		assertThat(b.get("k", loader, "ctx")).isEqualTo("v1");
		assertThat(executions).hasValue(1);
		assertThat(b.getStatistics().hits()).isEqualTo(2);
		assertThat(b.getStatistics().misses()).isZero();
		assertThat(this.tier.leasesHeld()).isZero();
	}

	@Test
	void aFailedLoadReleasesItsLeaseAndWritesNothing() throws NoSuchMethodException {
		CachedCache a = this.first.register("remote", method(), false, null);
		IllegalStateException failure = new IllegalStateException("boom");
		Loader loader = (context) -> {
			assertThat(SharedTierSeamTests.this.tier.leasesHeld()).isEqualTo(1);
			throw failure;
		};
		assertThatIllegalStateException().isThrownBy(() -> a.get("k", loader, "ctx")).isSameAs(failure);
		assertThat(this.tier.leasesHeld()).isZero();
		assertThat(this.tier.values).isEmpty();
		assertThat(this.tier.releases).hasValue(1);
	}

	@Test
	void aLocalCacheNeverReadsTheSharedTierButSendsItsInvalidations() throws Throwable {
		CachedCache a = this.first.register("local", method(), false, null);
		CachedCache b = this.second.register("local", method(), false, null);
		AtomicInteger executions = new AtomicInteger();
		Loader loader = (context) -> "v" + executions.incrementAndGet();
		assertThat(a.get("k", loader, "ctx")).isEqualTo("v1");
		assertThat(b.get("k", loader, "ctx")).isEqualTo("v2");
		assertThat(this.tier.lookups).hasValue(0);
		a.invalidate("k");
		assertThat(a.peek("k")).isNull();
		assertThat(b.peek("k")).isNull();
		assertThat(this.tier.invalidations).containsExactly("local:k");
	}

	@Test
	void anInvalidationReachesTheSharedTierBeforeTheLocalStoreAndDetachesARunningLoadElsewhere() throws Exception {
		CachedCache a = this.first.register("remote", method(), false, null);
		CachedCache b = this.second.register("remote", method(), false, null);
		CountDownLatch loading = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
			try {
				return b.get("k", (context) -> {
					loading.countDown();
					assertThat(release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
					return "old";
				}, "ctx");
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		});
		assertThat(loading.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
		a.invalidate("k");
		release.countDown();
		// G8 on B: its caller gets its value, which is stored neither there nor in the shared tier
		assertThat(running.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("old");
		assertThat(b.peek("k")).isNull();
		assertThat(this.tier.values).isEmpty();
	}

	@Test
	void anAsynchronousOwnerAsksTheSharedTierOffItsCallersThread() throws Exception {
		CachedCache a = this.first.register("remote", method(), false, null);
		CountDownLatch answer = new CountDownLatch(1);
		this.tier.beforeLookup = () -> {
			try {
				assertThat(answer.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		};
		Thread caller = Thread.currentThread();
		List<Thread> callThreads = new CopyOnWriteArrayList<>();
		CompletableFuture<@Nullable Object> mine = a.getAsync("k", (context) -> {
			callThreads.add(Thread.currentThread());
			return CompletableFuture.completedFuture("v");
		}, "ctx");
		// the shared tier is still answering: the caller has its future, not yet the value
		assertThat(mine).isNotDone();
		answer.countDown();
		assertThat(mine.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("v");
		assertThat(this.tier.lookupThreads).doesNotContain(caller);
		assertThat(callThreads).doesNotContain(caller);
		assertThat(this.tier.values).containsKey("remote:k");
	}

	/** A tier shared by the registries of one test, kept in memory, with leases. */
	static final class SharedMemoryTier implements RemoteTier {

		final Map<String, @Nullable Object> values = new ConcurrentHashMap<>();

		final Map<String, Object> leases = new ConcurrentHashMap<>();

		final List<String> invalidations = new CopyOnWriteArrayList<>();

		final List<Thread> lookupThreads = new CopyOnWriteArrayList<>();

		final List<CachedCache> attached = new CopyOnWriteArrayList<>();

		final AtomicInteger lookups = new AtomicInteger();

		final AtomicInteger releases = new AtomicInteger();

		volatile Runnable beforeLookup = () -> {
		};

		int leasesHeld() {
			return this.leases.size();
		}

		@Override
		public RemoteCache attach(CachedCache cache, Method method) {
			this.attached.add(cache);
			return new MemoryCache(cache);
		}

		@Override
		public Map<String, Object> status() {
			return Map.of("status", "UP");
		}

		final class MemoryCache implements RemoteCache {

			private final String name;

			private final CachedCache cache;

			MemoryCache(CachedCache cache) {
				this.name = cache.getName();
				this.cache = cache;
			}

			private String id(Object key) {
				return this.name + ":" + key;
			}

			@Override
			public @Nullable Object load(Object key, Load load, Call call) throws Throwable {
				if (!this.cache.getSettings().isRemote()) {
					return call.run();
				}
				SharedMemoryTier.this.lookups.incrementAndGet();
				SharedMemoryTier.this.lookupThreads.add(Thread.currentThread());
				SharedMemoryTier.this.beforeLookup.run();
				String id = id(key);
				if (SharedMemoryTier.this.values.containsKey(id)) {
					load.fromSharedTier(-1);
					return SharedMemoryTier.this.values.get(id);
				}
				Object lease = new Object();
				if (SharedMemoryTier.this.leases.putIfAbsent(id, lease) != null) {
					return call.run();
				}
				boolean written = false;
				try {
					Object value = call.run();
					if (call.storable() && !load.isInvalidated()) {
						written = true;
						if (SharedMemoryTier.this.leases.remove(id, lease)) {
							SharedMemoryTier.this.values.put(id, value);
						}
					}
					return value;
				}
				finally {
					if (!written && SharedMemoryTier.this.leases.remove(id, lease)) {
						SharedMemoryTier.this.releases.incrementAndGet();
					}
				}
			}

			@Override
			public @Nullable CompletionStage<?> loadAsync(Object key, Load load, AsyncCall call) throws Throwable {
				if (!this.cache.getSettings().isRemote()) {
					return call.start();
				}
				// the tier may wait: never on the caller's thread
				AsyncCall detached = call.detach();
				return CompletableFuture.supplyAsync(() -> {
					try {
						return load(key, load, new Call() {

							@Override
							public @Nullable Object run() throws Throwable {
								CompletionStage<?> stage = detached.start();
								return (stage != null) ? stage.toCompletableFuture().join() : null;
							}

							@Override
							public boolean storable() {
								return detached.storable();
							}

						});
					}
					catch (Throwable ex) {
						throw new CompletionException(ex);
					}
				});
			}

			@Override
			public @Nullable Object reload(Object key, Load load, long takeIfRemainingAbove, Call call)
					throws Throwable {
				return load(key, load, call);
			}

			@Override
			public void invalidate(Object key) {
				SharedMemoryTier.this.values.remove(id(key));
				SharedMemoryTier.this.leases.remove(id(key));
				SharedMemoryTier.this.invalidations.add(id(key));
				for (CachedCache other : SharedMemoryTier.this.attached) {
					if (other.getName().equals(this.name) && other.getRemote() != this) {
						other.invalidateLocally(key);
					}
				}
			}

			@Override
			public void invalidateAll() {
				SharedMemoryTier.this.values.keySet().removeIf((id) -> id.startsWith(this.name + ":"));
				for (CachedCache other : SharedMemoryTier.this.attached) {
					if (other.getName().equals(this.name) && other.getRemote() != this) {
						other.invalidateAllLocally();
					}
				}
			}

			@Override
			public void put(Object key, @Nullable Object value, long ttlNanos) {
				SharedMemoryTier.this.leases.remove(id(key));
				SharedMemoryTier.this.values.put(id(key), value);
			}

		}

	}

}
