package dev.cached.aop;

import java.util.Collection;
import java.util.LinkedHashMap;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.aop.CachedAllTests.User;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import dev.cached.testing.Awaits;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.cached.aop.CachedAllTests.cache;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The concurrency guarantees of the contract, per element, for {@code @CachedAll} through
 * real Spring AOP proxies: a load of a key is one load whichever kind of call started it
 * (a {@code @Cached} call or a bulk call), and a bulk call runs the method once, for the
 * keys nobody else is loading. Each test holds a method on a latch, waits until the other
 * callers have joined ({@code cache.coalesced}), releases it and asserts exact numbers.
 * Every test here went red against a bulk flight broken on purpose (see the report of the
 * change that added it).
 */
class CachedAllConcurrencyTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean(Control.class)
		.withBean(GatedUsers.class);

	private final ExecutorService executor = Executors.newCachedThreadPool();

	@AfterEach
	void stop() {
		this.executor.shutdownNow();
	}

	@Test
	void overlappingBulkCallsRunEachElementOnce() {
		run((control, users, cache) -> {
			control.gatedBulk.add(1L);
			Future<Map<Long, User>> first = this.executor.submit(() -> users.findUsers(List.of(1L, 2L, 3L)));
			await(control.entered);
			Future<Map<Long, User>> second = this.executor.submit(() -> users.findUsers(List.of(2L, 3L, 4L)));
			Future<User> single = this.executor.submit(() -> users.findUser(3));
			// the single call waits for 3, the second bulk call (having loaded 4) for 2, then 3
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 2);
			control.release.countDown();
			assertThat(get(first).keySet()).containsExactly(1L, 2L, 3L);
			assertThat(get(second).keySet()).containsExactly(2L, 3L, 4L);
			assertThat(get(single)).isEqualTo(new User(3, "user 3"));
			assertThat(control.bulk).containsExactlyInAnyOrder(List.of(1L, 2L, 3L), List.of(4L));
			assertThat(control.singles).isEmpty();
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(cache.getStatistics().coalesced()).isEqualTo(3);
			assertThat(cache.getStatistics().misses()).isEqualTo(4);
			assertThat(cache.getStatistics().hits()).isEqualTo(3);
		});
	}

	@Test
	void aBulkCallJoinsTheRunningLoadOfACachedCall() {
		run((control, users, cache) -> {
			control.gatedSingle.add(1L);
			Future<User> single = this.executor.submit(() -> users.findUser(1));
			await(control.entered);
			Future<Map<Long, User>> bulk = this.executor.submit(() -> users.findUsers(List.of(1L, 2L)));
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 1);
			control.release.countDown();
			assertThat(get(bulk)).containsExactly(Map.entry(1L, new User(1, "user 1")),
					Map.entry(2L, new User(2, "user 2")));
			assertThat(get(single)).isEqualTo(new User(1, "user 1"));
			assertThat(control.singles).containsExactly(1L);
			assertThat(control.bulk).containsExactly(List.of(2L));
		});
	}

	@Test
	void aCachedCallJoinsTheRunningElementOfABulkCall() {
		run((control, users, cache) -> {
			control.gatedBulk.add(1L);
			Future<Map<Long, User>> bulk = this.executor.submit(() -> users.findUsers(List.of(1L, 2L)));
			await(control.entered);
			Future<User> one = this.executor.submit(() -> users.findUser(1));
			Future<User> two = this.executor.submit(() -> users.findUser(2));
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 2);
			control.release.countDown();
			assertThat(get(one)).isEqualTo(new User(1, "user 1"));
			assertThat(get(two)).isEqualTo(new User(2, "user 2"));
			assertThat(get(bulk)).hasSize(2);
			assertThat(control.singles).isEmpty();
			assertThat(control.bulk).containsExactly(List.of(1L, 2L));
		});
	}

	@Test
	void aFailureIsSharedWithEveryCallerOfEveryElementAndNothingIsStored() {
		run((control, users, cache) -> {
			IllegalStateException failure = new IllegalStateException("boom");
			control.gatedBulk.add(1L);
			control.failure.set(failure);
			Future<Map<Long, User>> bulk = this.executor.submit(() -> users.findUsers(List.of(1L, 2L)));
			await(control.entered);
			Future<User> single = this.executor.submit(() -> users.findUser(1));
			Future<Map<Long, User>> other = this.executor.submit(() -> users.findUsers(List.of(2L, 3L)));
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 2);
			control.release.countDown();
			assertThat(failureOf(bulk)).isSameAs(failure);
			assertThat(failureOf(single)).isSameAs(failure);
			assertThat(failureOf(other)).isSameAs(failure);
			assertThat(cache.peek(1L)).isNull();
			assertThat(cache.peek(2L)).isNull();
			assertThat(cache.peek(3L)).isEqualTo(new User(3, "user 3"));
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(control.bulk).containsExactlyInAnyOrder(List.of(1L, 2L), List.of(3L));
			// the next call loads again
			assertThat(users.findUsers(List.of(1L, 2L))).hasSize(2);
			assertThat(control.bulk).hasSize(3).last().isEqualTo(List.of(1L, 2L));
			assertThat(cache.getStatistics().loadFailures()).isEqualTo(1);
		});
	}

	@Test
	void anElementInvalidatedDuringTheExecutionIsReturnedButNotStored() {
		run((control, users, cache) -> {
			control.gatedBulk.add(1L);
			Future<Map<Long, User>> bulk = this.executor.submit(() -> users.findUsers(List.of(1L, 2L)));
			await(control.entered);
			cache.invalidate(1L);
			control.release.countDown();
			assertThat(get(bulk).keySet()).containsExactly(1L, 2L);
			assertThat(cache.peek(1L)).isNull();
			assertThat(cache.peek(2L)).isEqualTo(new User(2, "user 2"));
		});
	}

	@Test
	void aBulkCallThatWouldWaitForALoadOfItsOwnThreadFailsAtOnce() {
		run((control, users, cache) -> {
			control.self = users;
			assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> users.findUser(50))
				.withMessageContaining("cache 'users' key '50'");
			assertThat(cache.inFlightKeys()).isZero();
			// it failed before running the method for the element it had registered, which is free again
			assertThat(control.bulk).isEmpty();
			assertThat(users.findUsers(List.of(51L))).containsOnlyKeys(51L);
			assertThat(control.bulk).containsExactly(List.of(51L));
		});
	}

	@Test
	void aWaitTimeoutRunsTheMethodForTheAffectedElementsOnly() {
		this.contextRunner.withPropertyValues("cached.caches.users.wait-timeout=100ms").run((context) -> {
			Control control = context.getBean(Control.class);
			GatedUsers users = context.getBean(GatedUsers.class);
			CachedCache cache = cache(context, "users");
			control.gatedSingle.add(1L);
			Future<User> single = this.executor.submit(() -> users.findUser(1));
			await(control.entered);
			// 1 is loading (held); 2 is missing: the bulk call loads 2, times out on 1, loads 1 itself
			assertThat(users.findUsers(List.of(1L, 2L)).keySet()).containsExactly(1L, 2L);
			assertThat(control.bulk).containsExactly(List.of(2L), List.of(1L));
			assertThat(cache.peek(1L)).isNull();
			assertThat(cache.peek(2L)).isEqualTo(new User(2, "user 2"));
			CacheStatistics statistics = cache.getStatistics();
			assertThat(statistics.misses()).isEqualTo(3);
			assertThat(statistics.hits()).isZero();
			assertThat(statistics.loadSuccesses()).isEqualTo(2);
			control.release.countDown();
			assertThat(get(single)).isEqualTo(new User(1, "user 1"));
		});
	}

	@Test
	void aTakeoverRunsTheMethodForTheAbandonedElementsOnly() {
		run((control, users, cache) -> {
			control.gatedSingle.add(1L);
			AtomicReference<Thread> owner = new AtomicReference<>();
			Future<User> single = this.executor.submit(() -> {
				owner.set(Thread.currentThread());
				return users.findUser(1);
			});
			await(control.entered);
			Future<Map<Long, User>> bulk = this.executor.submit(() -> users.findUsers(List.of(1L, 2L)));
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 1);
			owner.get().interrupt();
			assertThat(failureOf(single)).isInstanceOf(IllegalStateException.class)
				.hasCauseInstanceOf(InterruptedException.class);
			assertThat(get(bulk).keySet()).containsExactly(1L, 2L);
			assertThat(control.bulk).containsExactly(List.of(2L), List.of(1L));
			assertThat(cache.peek(1L)).isEqualTo(new User(1, "user 1"));
			assertThat(cache.inFlightKeys()).isZero();
		});
	}

	@Test
	void everyElementIsOneGetAndAJoinedOneIsCoalesced() {
		run((control, users, cache) -> {
			users.findUser(1);
			control.gatedSingle.add(2L);
			Future<User> single = this.executor.submit(() -> users.findUser(2));
			await(control.entered);
			Future<Map<Long, User>> bulk = this.executor.submit(() -> users.findUsers(List.of(1L, 2L, 3L)));
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 1);
			control.release.countDown();
			assertThat(get(bulk)).hasSize(3);
			get(single);
			CacheStatistics statistics = cache.getStatistics();
			// findUser(1), findUser(2), 3: misses; 1 (stored) and 2 (joined): hits
			assertThat(statistics.misses()).isEqualTo(3);
			assertThat(statistics.hits()).isEqualTo(2);
			assertThat(statistics.coalesced()).isEqualTo(1);
			assertThat(statistics.loadSuccesses()).isEqualTo(3);
			assertThat(statistics.inFlight()).isZero();
		});
	}

	private void run(TestBody body) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			body.run(context.getBean(Control.class), context.getBean(GatedUsers.class), cache(context, "users"));
		});
	}

	private static void await(CountDownLatch latch) {
		try {
			assertThat(latch.await(Awaits.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("latch").isTrue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static <T> T get(Future<T> future) {
		try {
			return future.get(Awaits.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (Exception ex) {
			throw new AssertionError(ex);
		}
	}

	private static Throwable failureOf(Future<?> future) {
		try {
			future.get(Awaits.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			return ex.getCause();
		}
		catch (Exception ex) {
			throw new AssertionError(ex);
		}
		throw new AssertionError("no failure");
	}

	interface TestBody {

		void run(Control control, GatedUsers users, CachedCache cache) throws Exception;

	}

	/** What the tests set and read, outside of the proxy. */
	static class Control {

		final Set<Long> gatedSingle = ConcurrentHashMap.newKeySet();

		final Set<Long> gatedBulk = ConcurrentHashMap.newKeySet();

		/** Counted down when a gated call has entered the method. */
		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		/** Thrown by a gated call once released. */
		final AtomicReference<@Nullable RuntimeException> failure = new AtomicReference<>();

		final List<Long> singles = new CopyOnWriteArrayList<>();

		final List<List<Long>> bulk = new CopyOnWriteArrayList<>();

		volatile @Nullable GatedUsers self;

		void gate() {
			this.entered.countDown();
			try {
				this.release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
			RuntimeException failure = this.failure.getAndSet(null);
			if (failure != null) {
				throw failure;
			}
		}

	}

	static class GatedUsers {

		private final Control control;

		GatedUsers(Control control) {
			this.control = control;
		}

		@Cached(name = "users")
		public @Nullable User findUser(long id) {
			GatedUsers self = this.control.self;
			if (self != null && id == 50) {
				// the bulk call would wait for this thread's own load of 50
				self.findUsers(List.of(51L, 50L));
			}
			this.control.singles.add(id);
			if (this.control.gatedSingle.remove(id)) {
				this.control.gate();
			}
			return new User(id, "user " + id);
		}

		@CachedAll(name = "users")
		public Map<Long, User> findUsers(Collection<Long> ids) {
			this.control.bulk.add(List.copyOf(ids));
			if (ids.stream().anyMatch(this.control.gatedBulk::remove)) {
				this.control.gate();
			}
			Map<Long, User> users = new LinkedHashMap<>();
			ids.forEach((id) -> users.put(id, new User(id, "user " + id)));
			return users;
		}

	}

}
