package dev.cached.aop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@code @CachedAll} through real Spring AOP proxies, one caller at a time: what runs
 * (only the missing elements, in which collection and order), what the caller gets (order,
 * absent elements), what is stored and shared with the {@code @Cached} method of the same
 * cache, and what is counted. The concurrent cases are in {@link CachedAllConcurrencyTests}.
 */
class CachedAllTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean(UserService.class);

	@Test
	void onlyTheMissingElementsRunOnceInTheCallersOrderWithoutDuplicates() {
		run((context, users) -> {
			assertThat(users.findUser(2)).isEqualTo(new User(2, "user 2"));
			Map<Long, User> found = users.findUsers(List.of(3L, 1L, 2L, 3L, 4L));
			assertThat(found).isInstanceOf(LinkedHashMap.class);
			assertThat(found.keySet()).containsExactly(3L, 1L, 2L, 4L);
			assertThat(found.get(4L)).isEqualTo(new User(4, "user 4"));
			assertThat(users.received()).containsExactly(List.of(3L, 1L, 4L));
			assertThat(users.receivedTypes()).containsExactly(ArrayList.class);
			// everything is stored now: the method does not run again
			assertThat(users.findUsers(List.of(4L, 2L))).containsExactly(Map.entry(4L, new User(4, "user 4")),
					Map.entry(2L, new User(2, "user 2")));
			assertThat(users.calls("findUsers")).isEqualTo(1);
			assertThat(users.calls("findUser")).isEqualTo(1);
		});
	}

	@Test
	void aSetParameterGetsTheMissingElementsAsALinkedHashSet() {
		run((context, users) -> {
			users.findUser(5);
			Set<Long> ids = new LinkedHashSet<>(List.of(7L, 5L, 6L));
			assertThat(users.findUserSet(ids).keySet()).containsExactly(7L, 5L, 6L);
			assertThat(users.received()).containsExactly(List.of(7L, 6L));
			assertThat(users.receivedTypes()).containsExactly(LinkedHashSet.class);
		});
	}

	@Test
	void theOneAtATimeMethodReadsWhatTheBulkMethodStored() {
		run((context, users) -> {
			users.findUsers(List.of(8L, 9L));
			assertThat(users.findUser(8)).isEqualTo(new User(8, "user 8"));
			assertThat(users.findUser(9)).isEqualTo(new User(9, "user 9"));
			assertThat(users.calls("findUser")).isZero();
			assertThat(cache(context, "users").peek(8L)).isEqualTo(new User(8, "user 8"));
		});
	}

	@Test
	void aListOfValuesIsKeyedByValueKeyAndAnsweredInTheCallersOrder() {
		run((context, users) -> {
			users.findUser(2);
			// the method answers in its own order (descending); the caller gets its own
			assertThat(users.findAllById(List.of(1L, 3L, 2L))).extracting(User::id).containsExactly(1L, 3L, 2L);
			assertThat(users.received()).containsExactly(List.of(1L, 3L));
			assertThat(users.receivedTypes()).containsExactly(ArrayList.class);
			assertThat(users.findUser(3)).isEqualTo(new User(3, "user 3"));
			assertThat(users.calls("findUser")).isEqualTo(1);
		});
	}

	@Test
	void anAbsentElementIsLeftOutAndItsAbsenceIsStored() {
		run((context, users) -> {
			Map<Long, User> found = users.findUsers(List.of(1L, 1001L, 2L));
			assertThat(found.keySet()).containsExactly(1L, 2L);
			assertThat(users.findAllById(List.of(1001L, 2L))).extracting(User::id).containsExactly(2L);
			assertThat(users.findUser(1001)).isNull();
			assertThat(users.calls("findUser")).isZero();
			assertThat(users.calls("findUsers")).isEqualTo(1);
			assertThat(users.calls("findAllById")).isZero();
		});
	}

	@Test
	void withoutNullValuesAnAbsentElementIsNotStored() {
		this.contextRunner.withPropertyValues("cached.defaults.cache-null-values=false").run((context) -> {
			UserService users = context.getBean(UserService.class);
			assertThat(users.findUsers(List.of(1L, 1001L)).keySet()).containsExactly(1L);
			assertThat(users.findUsers(List.of(1L, 1001L)).keySet()).containsExactly(1L);
			assertThat(users.received()).containsExactly(List.of(1L, 1001L), List.of(1001L));
			assertThat(users.findUser(1001)).isNull();
			assertThat(users.calls("findUser")).isEqualTo(1);
		});
	}

	@Test
	void aValueForAnElementThatWasNotAskedForIsIgnored() {
		run((context, users) -> {
			assertThat(users.findWithExtra(List.of(1L))).containsOnlyKeys(1L);
			assertThat(cache(context, "users").peek(999L)).isNull();
		});
	}

	@Test
	void unlessIsAppliedPerElement() {
		run((context, users) -> {
			assertThat(users.findUnlessEven(List.of(1L, 2L, 3L)).keySet()).containsExactly(1L, 2L, 3L);
			CachedCache cache = cache(context, "users");
			assertThat(cache.peek(1L)).isNotNull();
			assertThat(cache.peek(2L)).isNull();
			assertThat(cache.peek(3L)).isNotNull();
			users.findUnlessEven(List.of(1L, 2L, 3L));
			assertThat(users.received()).containsExactly(List.of(1L, 2L, 3L), List.of(2L));
		});
	}

	@Test
	void aFalseConditionBypassesTheCache() {
		run((context, users) -> {
			users.findIfFew(List.of(1L, 2L, 3L));
			assertThat(cache(context, "users").estimatedSize()).isZero();
			users.findIfFew(List.of(1L));
			users.findIfFew(List.of(1L));
			assertThat(users.received()).containsExactly(List.of(1L, 2L, 3L), List.of(1L));
		});
	}

	@Test
	void aKeyExpressionSeesTheElementAndTheArguments() {
		run((context, users) -> {
			Map<Long, User> found = users.findInTenant("acme", List.of(1L, 2L));
			assertThat(found.keySet()).containsExactly(1L, 2L);
			assertThat(users.findOneInTenant("acme", 2L)).isEqualTo(new User(2, "user 2"));
			assertThat(users.calls("findOneInTenant")).isZero();
			assertThat(cache(context, "tenantUsers").peek("acme:2")).isEqualTo(new User(2, "user 2"));
			users.findInTenant("other", List.of(1L));
			assertThat(users.received()).containsExactly(List.of(1L, 2L), List.of(1L));
		});
	}

	@Test
	void cacheInvalidateWithElementsRemovesTheKeyOfEachElement() {
		run((context, users) -> {
			users.findUsers(List.of(1L, 2L, 3L));
			users.evictUsers(List.of(1L, 3L));
			CachedCache cache = cache(context, "users");
			assertThat(cache.peek(1L)).isNull();
			assertThat(cache.peek(2L)).isNotNull();
			assertThat(cache.peek(3L)).isNull();
			users.evictTenantUsers("acme", List.of(2L));
			users.findInTenant("acme", List.of(2L, 3L));
			users.evictTenantUsers("acme", List.of(2L));
			assertThat(cache(context, "tenantUsers").peek("acme:2")).isNull();
			assertThat(cache(context, "tenantUsers").peek("acme:3")).isNotNull();
		});
	}

	@Test
	void aFailureIsThrownUnwrappedAndNothingIsStored() {
		run((context, users) -> {
			users.failNext().set(1);
			assertThatIllegalStateException().isThrownBy(() -> users.findUsers(List.of(1L, 2L)))
				.withMessage("boom 1");
			assertThat(cache(context, "users").estimatedSize()).isZero();
			assertThat(cache(context, "users").inFlightKeys()).isZero();
			assertThat(users.findUsers(List.of(1L, 2L))).hasSize(2);
			assertThat(users.received()).containsExactly(List.of(1L, 2L), List.of(1L, 2L));
		});
	}

	@Test
	void everyElementIsOneGetAndEveryExecutionOneLoad() {
		run((context, users) -> {
			users.findUser(1);
			users.findUsers(List.of(1L, 2L, 3L, 1L));
			users.findUsers(List.of(4L));
			users.findUsers(List.of(2L, 4L));
			users.findUsers(List.of());
			CacheStatistics statistics = cache(context, "users").getStatistics();
			// findUser(1): miss; [1, 2, 3]: 1 hit, 2 misses; [4]: miss; [2, 4]: 2 hits
			assertThat(statistics.hits()).isEqualTo(3);
			assertThat(statistics.misses()).isEqualTo(4);
			assertThat(statistics.loadSuccesses()).isEqualTo(3);
			assertThat(statistics.loadFailures()).isZero();
			assertThat(statistics.coalesced()).isZero();
			assertThat(users.calls("findUsers")).isEqualTo(2);
		});
	}

	private void run(BiConsumer<AssertableApplicationContext, UserService> callback) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			callback.accept(context, context.getBean(UserService.class));
		});
	}

	static CachedCache cache(AssertableApplicationContext context, String name) {
		CachedCache cache = context.getBean(CacheRegistry.class).getCache(name);
		assertThat(cache).as("cache %s", name).isNotNull();
		return cache;
	}

	record User(long id, String name) {
	}

	/** Users 1 to 999 exist; 1000 and above do not. */
	static class UserService {

		final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

		/** The elements each bulk execution received, as lists, in order. */
		final List<List<Object>> received = new CopyOnWriteArrayList<>();

		final List<Class<?>> receivedTypes = new CopyOnWriteArrayList<>();

		/** Fail the next this many bulk executions. */
		final AtomicInteger failNext = new AtomicInteger();

		public List<List<Object>> received() {
			return this.received;
		}

		public List<Class<?>> receivedTypes() {
			return this.receivedTypes;
		}

		public AtomicInteger failNext() {
			return this.failNext;
		}

		public int calls(String method) {
			AtomicInteger count = this.calls.get(method);
			return (count != null) ? count.get() : 0;
		}

		private void count(String method) {
			this.calls.computeIfAbsent(method, (name) -> new AtomicInteger()).incrementAndGet();
		}

		private void receive(String method, Collection<Long> ids) {
			count(method);
			this.received.add(List.copyOf(ids));
			this.receivedTypes.add(ids.getClass());
			if (this.failNext.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
				throw new IllegalStateException("boom " + this.received.size());
			}
		}

		private static @Nullable User user(long id) {
			return (id < 1000) ? new User(id, "user " + id) : null;
		}

		private static Map<Long, User> users(Collection<Long> ids) {
			Map<Long, User> users = new LinkedHashMap<>();
			for (long id : ids) {
				User user = user(id);
				if (user != null) {
					users.put(id, user);
				}
			}
			return users;
		}

		@Cached(name = "users")
		public @Nullable User findUser(long id) {
			count("findUser");
			return user(id);
		}

		@CachedAll(name = "users")
		public Map<Long, User> findUsers(Collection<Long> ids) {
			receive("findUsers", ids);
			return users(ids);
		}

		@CachedAll(name = "users")
		public Map<Long, User> findUserSet(Set<Long> ids) {
			receive("findUserSet", ids);
			return users(ids);
		}

		@CachedAll(name = "users", valueKey = "#value.id")
		public List<User> findAllById(Iterable<Long> ids) {
			List<Long> list = new ArrayList<>();
			ids.forEach(list::add);
			receive("findAllById", list);
			receivedTypes.set(receivedTypes.size() - 1, ids.getClass());
			List<User> users = new ArrayList<>(users(list).values());
			users.sort((a, b) -> Long.compare(b.id(), a.id()));
			return users;
		}

		@CachedAll(name = "users")
		public Map<Long, User> findWithExtra(Collection<Long> ids) {
			receive("findWithExtra", ids);
			Map<Long, User> users = users(ids);
			users.put(999L, new User(999, "not asked for"));
			return users;
		}

		@CachedAll(name = "users", unless = "#result.id % 2 == 0")
		public Map<Long, User> findUnlessEven(Collection<Long> ids) {
			receive("findUnlessEven", ids);
			return users(ids);
		}

		@CachedAll(name = "users", condition = "#ids.size() < 3")
		public Map<Long, User> findIfFew(List<Long> ids) {
			receive("findIfFew", ids);
			return users(ids);
		}

		@CachedAll(name = "tenantUsers", key = "#tenant + ':' + #element")
		public Map<Long, User> findInTenant(String tenant, List<Long> ids) {
			receive("findInTenant", ids);
			return users(ids);
		}

		@Cached(name = "tenantUsers", key = "#tenant + ':' + #id")
		public @Nullable User findOneInTenant(String tenant, long id) {
			count("findOneInTenant");
			return user(id);
		}

		@CacheInvalidate(name = "users", elements = "#ids")
		public void evictUsers(Collection<Long> ids) {
		}

		@CacheInvalidate(name = "tenantUsers", elements = "#ids", key = "#tenant + ':' + #element")
		public void evictTenantUsers(String tenant, List<Long> ids) {
		}

	}

}
