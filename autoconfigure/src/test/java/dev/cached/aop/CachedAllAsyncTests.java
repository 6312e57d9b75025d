package dev.cached.aop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.cached.aop.CachedAllTests.cache;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The asynchronous forms of {@code @CachedAll} through real Spring AOP proxies:
 * {@code CompletableFuture<Map>}, {@code CompletionStage<Map>}, {@code Mono<Map>} and
 * {@code Mono<List>}. The method's answer is held in a future the test completes, so the
 * caller's thread is seen to return before any value exists, and the joined callers (a
 * blocking {@code @Cached} call among them) are seen to wait for that one execution.
 */
class CachedAllAsyncTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean(Control.class)
		.withBean(AsyncUsers.class);

	private final ExecutorService executor = Executors.newCachedThreadPool();

	@AfterEach
	void stop() {
		this.executor.shutdownNow();
	}

	@Test
	void aFutureOfAMapRunsOnlyTheMissingElementsWithoutBlockingTheCaller() {
		run((control, users, cache) -> {
			users.findUser(2);
			control.pending = new CompletableFuture<>();
			CompletableFuture<Map<Long, User>> future = users.findUsers(List.of(3L, 2L, 1L));
			// the caller's thread has returned; the method's answer does not exist yet
			assertThat(future).isNotDone();
			assertThat(control.bulk).containsExactly(List.of(3L, 1L));
			control.pending.complete(null);
			assertThat(get(future).keySet()).containsExactly(3L, 2L, 1L);
			assertThat(users.findUser(3)).isEqualTo(new User(3, "user 3"));
			assertThat(users.findUsersStage(List.of(1L, 3L)).toCompletableFuture().join()).hasSize(2);
			assertThat(control.bulk).hasSize(1);
			assertThat(control.singles).containsExactly(2L);
		});
	}

	@Test
	void aBlockingCachedCallJoinsAnAsynchronousBulkExecutionAndSharesItsFailure() {
		run((control, users, cache) -> {
			control.pending = new CompletableFuture<>();
			CompletableFuture<Map<Long, User>> bulk = users.findUsers(List.of(1L, 2L));
			Future<User> single = this.executor.submit(() -> users.findUser(1));
			CompletableFuture<Map<Long, User>> other = users.findUsers(List.of(2L));
			Awaits.await().until(() -> cache.getStatistics().coalesced() == 2);
			IllegalStateException failure = new IllegalStateException("boom");
			control.pending.completeExceptionally(failure);
			assertThat(failureOf(bulk)).isSameAs(failure);
			assertThat(failureOf(other)).isSameAs(failure);
			assertThat(failureOf(single)).isSameAs(failure);
			assertThat(cache.estimatedSize()).isZero();
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(control.singles).isEmpty();
			assertThat(control.bulk).containsExactly(List.of(1L, 2L));
		});
	}

	@Test
	void overlappingAsynchronousBulkCallsRunEachElementOnce() {
		run((control, users, cache) -> {
			control.pending = new CompletableFuture<>();
			CompletableFuture<Map<Long, User>> first = users.findUsers(List.of(1L, 2L));
			CompletableFuture<Map<Long, User>> second = users.findUsers(List.of(2L, 3L));
			assertThat(control.bulk).containsExactly(List.of(1L, 2L), List.of(3L));
			control.pending.complete(null);
			assertThat(get(first).keySet()).containsExactly(1L, 2L);
			assertThat(get(second).keySet()).containsExactly(2L, 3L);
			CacheStatistics statistics = cache.getStatistics();
			assertThat(statistics.misses()).isEqualTo(3);
			assertThat(statistics.hits()).isEqualTo(1);
			assertThat(statistics.coalesced()).isEqualTo(1);
			assertThat(statistics.loadSuccesses()).isEqualTo(2);
		});
	}

	@Test
	void aWaitTimeoutStartsTheAffectedElementsOnlyForTheJoinedCaller() {
		this.contextRunner.withPropertyValues("cached.caches.users.wait-timeout=100ms").run((context) -> {
			Control control = context.getBean(Control.class);
			AsyncUsers users = context.getBean(AsyncUsers.class);
			CachedCache cache = cache(context, "users");
			CompletableFuture<@Nullable Void> held = new CompletableFuture<>();
			control.pending = held;
			CompletableFuture<Map<Long, User>> first = users.findUsers(List.of(1L));
			control.pending = null;
			CompletableFuture<Map<Long, User>> second = users.findUsers(List.of(1L, 2L));
			// the second call loaded 2 at once and, after the wait timeout, 1 for itself
			assertThat(get(second).keySet()).containsExactly(1L, 2L);
			assertThat(control.bulk).containsExactly(List.of(1L), List.of(2L), List.of(1L));
			assertThat(first).isNotDone();
			assertThat(cache.peek(1L)).isNull();
			assertThat(cache.peek(2L)).isNotNull();
			held.complete(null);
			assertThat(get(first)).containsOnlyKeys(1L);
		});
	}

	@Test
	void aMonoOfAListRunsWithTheSubscribersContext() {
		run((control, users, cache) -> {
			users.findUser(2);
			List<User> found = users.findAllById(List.of(3L, 2L, 1L)).contextWrite((context) -> context.put("tenant",
					"acme")).block(Awaits.TIMEOUT);
			assertThat(found).extracting(User::name).containsExactly("acme 3", "user 2", "acme 1");
			assertThat(control.bulk).containsExactly(List.of(3L, 1L));
			Map<Long, User> map = users.findUsersMono(List.of(1L, 4L)).block(Awaits.TIMEOUT);
			assertThat(map).containsOnlyKeys(1L, 4L);
			assertThat(control.bulk).containsExactly(List.of(3L, 1L), List.of(4L));
		});
	}

	private void run(Body body) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			body.run(context.getBean(Control.class), context.getBean(AsyncUsers.class), cache(context, "users"));
		});
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

	interface Body {

		void run(Control control, AsyncUsers users, CachedCache cache) throws Exception;

	}

	static class Control {

		/** When set, what the next bulk execution's answer waits for. */
		volatile @Nullable CompletableFuture<@Nullable Void> pending;

		final List<Long> singles = new CopyOnWriteArrayList<>();

		final List<List<Long>> bulk = new CopyOnWriteArrayList<>();

	}

	static class AsyncUsers {

		private final Control control;

		AsyncUsers(Control control) {
			this.control = control;
		}

		private static Map<Long, User> users(Collection<Long> ids, String prefix) {
			Map<Long, User> users = new LinkedHashMap<>();
			ids.forEach((id) -> users.put(id, new User(id, prefix + " " + id)));
			return users;
		}

		@Cached(name = "users")
		public User findUser(long id) {
			this.control.singles.add(id);
			return new User(id, "user " + id);
		}

		@CachedAll(name = "users")
		public CompletableFuture<Map<Long, User>> findUsers(Collection<Long> ids) {
			this.control.bulk.add(List.copyOf(ids));
			CompletableFuture<@Nullable Void> pending = this.control.pending;
			Map<Long, User> users = users(ids, "user");
			return (pending != null) ? pending.thenApply((ignored) -> users)
					: CompletableFuture.completedFuture(users);
		}

		@CachedAll(name = "users")
		public CompletionStage<Map<Long, User>> findUsersStage(Collection<Long> ids) {
			this.control.bulk.add(List.copyOf(ids));
			return CompletableFuture.completedFuture(users(ids, "user"));
		}

		@CachedAll(name = "users")
		public Mono<Map<Long, User>> findUsersMono(Collection<Long> ids) {
			return Mono.fromCallable(() -> {
				this.control.bulk.add(List.copyOf(ids));
				return users(ids, "user");
			});
		}

		@CachedAll(name = "users", valueKey = "#value.id")
		public Mono<List<User>> findAllById(List<Long> ids) {
			return Mono.deferContextual((context) -> {
				this.control.bulk.add(List.copyOf(ids));
				return Mono.just(new ArrayList<>(users(ids, context.getOrDefault("tenant", "none")).values()));
			});
		}

	}

}
