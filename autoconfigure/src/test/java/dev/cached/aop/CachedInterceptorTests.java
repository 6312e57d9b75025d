package dev.cached.aop;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.key.CacheKey;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Behaviour of {@link CachedInterceptor} through real Spring AOP proxies created by the
 * auto-configuration.
 */
class CachedInterceptorTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean("tenant", Tenant.class)
		.withBean(LibraryService.class);

	@Test
	void noArgumentMethodHasOneEntry() {
		run((context, library) -> {
			assertThat(library.count()).isEqualTo(1);
			assertThat(library.count()).isEqualTo(1);
			assertThat(library.calls("count")).isEqualTo(1);
			CachedCache cache = cache(context, "LibraryService.count");
			assertThat(cache.estimatedSize()).isEqualTo(1);
			assertThat(cache.peek(CacheKey.EMPTY)).isEqualTo(1);
		});
	}

	@Test
	void nullArgumentIsAKey() {
		run((context, library) -> {
			assertThat(library.title(null)).isEqualTo("title null");
			assertThat(library.title(null)).isEqualTo("title null");
			assertThat(library.title(1L)).isEqualTo("title 1");
			assertThat(library.calls("title")).isEqualTo(2);
			assertThat(cache(context, "LibraryService.title").estimatedSize()).isEqualTo(2);
		});
	}

	@Test
	void severalArgumentsIncludingArraysAreComparedDeeply() {
		run((context, library) -> {
			assertThat(library.search("a", new int[] { 1, 2 }, new String[] { "x" })).isEqualTo("a [1, 2] [x]");
			assertThat(library.search("a", new int[] { 1, 2 }, new String[] { "x" })).isEqualTo("a [1, 2] [x]");
			assertThat(library.search("a", new int[] { 1, 3 }, new String[] { "x" })).isEqualTo("a [1, 3] [x]");
			assertThat(library.search("a", new int[] { 1, 2 }, null)).isEqualTo("a [1, 2] null");
			assertThat(library.calls("search")).isEqualTo(3);
			assertThat(cache(context, "LibraryService.search").peek(CacheKey.of("a", new int[] { 1, 2 },
					new String[] { "x" })))
				.isEqualTo("a [1, 2] [x]");
		});
	}

	@Test
	void arrayArgumentOfOneArgumentMethodIsComparedDeeply() {
		run((context, library) -> {
			assertThat(library.sum(new long[] { 1, 2 })).isEqualTo(3);
			assertThat(library.sum(new long[] { 1, 2 })).isEqualTo(3);
			assertThat(library.calls("sum")).isEqualTo(1);
		});
	}

	@Test
	void keyExpressionAndDefaultKeyOfOneArgumentMethodAddressTheSameEntry() {
		run((context, library) -> {
			assertThat(library.book(7L)).isEqualTo("book 7 #1");
			assertThat(library.bookByExpression(7L)).isEqualTo("book 7 #1");
			assertThat(library.calls("bookByExpression")).isZero();
			library.evictBook(7L);
			assertThat(cache(context, "books").estimatedSize()).isZero();
			assertThat(library.book(7L)).isEqualTo("book 7 #2");
			assertThat(library.calls("book")).isEqualTo(2);
		});
	}

	@Test
	void positionalAndRootReferencesMakeKeys() {
		run((context, library) -> {
			assertThat(library.byP0(1, "ignored")).isEqualTo("p0 1 ignored");
			assertThat(library.byP0(1, "other")).isEqualTo("p0 1 ignored");
			assertThat(library.byA0(2, "ignored")).isEqualTo("a0 2 ignored");
			assertThat(library.byA0(2, "other")).isEqualTo("a0 2 ignored");
			assertThat(library.byRootArgs(3, "ignored")).isEqualTo("args 3 ignored");
			assertThat(library.byRootArgs(3, "other")).isEqualTo("args 3 ignored");
			assertThat(library.calls("byP0")).isEqualTo(1);
			assertThat(library.calls("byA0")).isEqualTo(1);
			assertThat(library.calls("byRootArgs")).isEqualTo(1);
			assertThat(cache(context, "LibraryService.byP0").peek(1)).isEqualTo("p0 1 ignored");
			assertThat(cache(context, "LibraryService.byRootArgs").peek(3)).isEqualTo("args 3 ignored");
		});
	}

	@Test
	void rootMethodNameMakesKey() {
		run((context, library) -> {
			assertThat(library.byMethodName(1)).isEqualTo("name 1");
			assertThat(library.byMethodName(2)).isEqualTo("name 1");
			assertThat(cache(context, "LibraryService.byMethodName").peek("byMethodName")).isEqualTo("name 1");
		});
	}

	@Test
	void beanReferenceAndPropertyPathMakeKeys() {
		run((context, library) -> {
			Tenant tenant = context.getBean(Tenant.class);
			tenant.set("acme");
			assertThat(library.owner(new User(5, "ann"))).isEqualTo("owner ann");
			assertThat(library.owner(new User(5, "bob"))).isEqualTo("owner ann");
			tenant.set("other");
			assertThat(library.owner(new User(5, "bob"))).isEqualTo("owner bob");
			assertThat(library.calls("owner")).isEqualTo(2);
			CachedCache cache = cache(context, "LibraryService.owner");
			assertThat(cache.peek("acme:5")).isEqualTo("owner ann");
			assertThat(cache.peek("other:5")).isEqualTo("owner bob");
		});
	}

	@Test
	void falseConditionBypassesTheCache() {
		run((context, library) -> {
			assertThat(library.conditional(-1)).isEqualTo("conditional -1 #1");
			assertThat(library.conditional(-1)).isEqualTo("conditional -1 #2");
			CachedCache cache = cache(context, "LibraryService.conditional");
			assertThat(cache.estimatedSize()).isZero();
			assertThat(cache.getStatistics().hits()).isZero();
			assertThat(cache.getStatistics().misses()).isZero();
			assertThat(library.conditional(1)).isEqualTo("conditional 1 #3");
			assertThat(library.conditional(1)).isEqualTo("conditional 1 #3");
			assertThat(cache.getStatistics().hits()).isEqualTo(1);
			assertThat(cache.getStatistics().misses()).isEqualTo(1);
		});
	}

	@Test
	void unlessWithResultPreventsStoring() {
		run((context, library) -> {
			assertThat(library.vetoed("skip")).isEqualTo("skip #1");
			assertThat(library.vetoed("skip")).isEqualTo("skip #2");
			assertThat(library.vetoed("keep")).isEqualTo("keep #3");
			assertThat(library.vetoed("keep")).isEqualTo("keep #3");
			CachedCache cache = cache(context, "LibraryService.vetoed");
			assertThat(cache.peek("skip")).isNull();
			assertThat(cache.peek("keep")).isEqualTo("keep #3");
		});
	}

	@Test
	void nullResultsAreStoredByDefault() {
		run((context, library) -> {
			assertThat(library.nothing(1)).isNull();
			assertThat(library.nothing(1)).isNull();
			assertThat(library.calls("nothing")).isEqualTo(1);
			assertThat(library.empty(1)).isEmpty();
			assertThat(library.empty(1)).isEmpty();
			assertThat(library.calls("empty")).isEqualTo(1);
		});
	}

	@Test
	void nullResultsAndEmptyOptionalsAreNotStoredWithoutCacheNullValues() {
		this.contextRunner.withPropertyValues("cached.defaults.cache-null-values=false").run((context) -> {
			LibraryService library = context.getBean(LibraryService.class);
			assertThat(library.nothing(1)).isNull();
			assertThat(library.nothing(1)).isNull();
			assertThat(library.calls("nothing")).isEqualTo(2);
			assertThat(library.empty(1)).isEmpty();
			assertThat(library.empty(1)).isEmpty();
			assertThat(library.calls("empty")).isEqualTo(2);
			assertThat(cache(context, "LibraryService.empty").estimatedSize()).isZero();
			assertThat(library.present(1)).contains("present 1");
			assertThat(library.present(1)).contains("present 1");
			assertThat(library.calls("present")).isEqualTo(1);
		});
	}

	@Test
	void genericMethodIsCached() {
		run((context, library) -> {
			Integer first = library.convert("42", Integer.class);
			Integer second = library.convert("42", Integer.class);
			assertThat(first).isEqualTo(42);
			assertThat(second).isSameAs(first);
			assertThat(library.calls("convert")).isEqualTo(1);
		});
	}

	@Test
	void invalidateWithAllEntries() {
		run((context, library) -> {
			library.book(1L);
			library.book(2L);
			library.clearBooks();
			assertThat(cache(context, "books").estimatedSize()).isZero();
			library.book(1L);
			assertThat(library.calls("book")).isEqualTo(3);
		});
	}

	@Test
	void invalidateBeforeInvocationHappensEvenWhenTheMethodThrows() {
		run((context, library) -> {
			library.book(1L);
			assertThatIllegalState(() -> library.evictBookBeforeAndFail(1L)).withMessage("failed 1");
			assertThat(cache(context, "books").peek(1L)).isNull();
		});
	}

	@Test
	void invalidateAfterInvocationDoesNotHappenWhenTheMethodThrows() {
		run((context, library) -> {
			library.book(1L);
			assertThatIllegalState(() -> library.evictBookAfterAndFail(1L)).withMessage("failed 1");
			assertThat(cache(context, "books").peek(1L)).isEqualTo("book 1 #1");
		});
	}

	@Test
	void invalidateAfterInvocationCanUseTheResult() {
		run((context, library) -> {
			library.book(9L);
			library.book(10L);
			assertThat(library.evictByResult("nine")).isEqualTo(9L);
			CachedCache cache = cache(context, "books");
			assertThat(cache.peek(9L)).isNull();
			assertThat(cache.peek(10L)).isEqualTo("book 10 #2");
		});
	}

	@Test
	void repeatedInvalidateRemovesFromEveryNamedCache() {
		run((context, library) -> {
			library.book(3L);
			library.title(3L);
			library.count();
			library.evictEverywhere(3L);
			assertThat(cache(context, "books").peek(3L)).isNull();
			assertThat(cache(context, "LibraryService.title").peek(3L)).isNull();
			assertThat(cache(context, "LibraryService.count").estimatedSize()).isZero();
		});
	}

	@Test
	void failingKeyExpressionFailsTheCallAndLeavesNothingInFlight() {
		run((context, library) -> {
			CachedCache cache = cache(context, "LibraryService.ownerId");
			assertThatIllegalState(() -> library.ownerId(null))
				.withMessage("Evaluating the key expression '#user.id' of cache 'LibraryService.ownerId' failed: "
						+ "EL1007E: Property or field 'id' cannot be found on null");
			assertThat(cache.inFlightKeys()).isZero();
			assertThat(library.calls("ownerId")).isZero();
			assertThat(library.ownerId(new User(4, "dan"))).isEqualTo("dan");
			assertThat(library.ownerId(new User(4, "eve"))).isEqualTo("dan");
			assertThat(library.calls("ownerId")).isEqualTo(1);
		});
	}

	@Test
	void checkedExceptionReachesTheCallerUnwrapped() {
		run((context, library) -> {
			IOException failure = new IOException("disk");
			assertThatIOException().isThrownBy(() -> library.read(failure)).isSameAs(failure);
			assertThatIOException().isThrownBy(() -> library.read(failure)).isSameAs(failure);
			assertThat(library.calls("read")).isEqualTo(2);
			assertThat(cache(context, "LibraryService.read").estimatedSize()).isZero();
		});
	}

	@Test
	void cachedOnGenericInterfaceMethodWorksWithClassProxies() {
		this.contextRunner.withBean(UserRepository.class).run((context) -> {
			UserRepository repository = context.getBean(UserRepository.class);
			assertThat(AopUtils.isCglibProxy(repository)).isTrue();
			// through the interface: the proxy's bridge method is invoked
			assertGenericRepositoryIsCached(context, repository);
			// through the class: the same entry
			assertThat(repository.find(1)).isSameAs(cache(context, "UserRepository.find").peek(1L));
		});
	}

	@Test
	void cachedOnGenericInterfaceMethodWorksWithJdkProxies() {
		this.contextRunner.withPropertyValues("spring.aop.proxy-target-class=false")
			.withBean(UserRepository.class)
			.run((context) -> {
				@SuppressWarnings("unchecked")
				Repository<User> repository = context.getBean(Repository.class);
				assertThat(AopUtils.isJdkDynamicProxy(repository)).isTrue();
				assertGenericRepositoryIsCached(context, repository);
			});
	}

	private static void assertGenericRepositoryIsCached(AssertableApplicationContext context,
			Repository<User> repository) throws IOException {
		User first = repository.find(1);
		assertThat(repository.find(1)).isSameAs(first);
		assertThat(repository.find(2)).isNotSameAs(first);
		assertThat(context.getBean(CacheRegistry.class).getCacheNames()).contains("UserRepository.find");
		CachedCache cache = cache(context, "UserRepository.find");
		assertThat(cache.getMethods()).containsExactly(
				"dev.cached.aop.CachedInterceptorTests$UserRepository.find(long)");
		assertThat(cache.estimatedSize()).isEqualTo(2);
		IOException failure = new IOException("offline");
		assertThatIOException().isThrownBy(() -> repository.load(failure)).isSameAs(failure);
	}

	@Test
	void transactionalBeanIsCachedAndAHitOpensNoTransaction() {
		this.contextRunner.withUserConfiguration(TransactionConfiguration.class).run((context) -> {
			TransactionalService service = context.getBean(TransactionalService.class);
			RecordingTransactionManager transactions = context.getBean(RecordingTransactionManager.class);
			assertThat(service.find(1)).isEqualTo("find 1 in transaction true");
			assertThat(transactions.events).containsExactly("begin", "commit");
			assertThat(service.find(1)).isEqualTo("find 1 in transaction true");
			assertThat(transactions.events).containsExactly("begin", "commit");
			assertThat(service.calls()).isEqualTo(1);
		});
	}

	@Test
	void orderInsideTheTransactionAdvisorMakesAHitOpenATransaction() {
		this.contextRunner.withUserConfiguration(OrderedTransactionConfiguration.class)
			.withPropertyValues("cached.order=20")
			.run((context) -> {
				TransactionalService service = context.getBean(TransactionalService.class);
				RecordingTransactionManager transactions = context.getBean(RecordingTransactionManager.class);
				assertThat(service.find(1)).isEqualTo("find 1 in transaction true");
				assertThat(service.find(1)).isEqualTo("find 1 in transaction true");
				assertThat(transactions.events).containsExactly("begin", "commit", "begin", "commit");
				assertThat(service.calls()).isEqualTo(1);
			});
	}

	@Test
	void orderOutsideTheTransactionAdvisorMakesAHitOpenNoTransaction() {
		this.contextRunner.withUserConfiguration(OrderedTransactionConfiguration.class)
			.withPropertyValues("cached.order=0")
			.run((context) -> {
				TransactionalService service = context.getBean(TransactionalService.class);
				RecordingTransactionManager transactions = context.getBean(RecordingTransactionManager.class);
				assertThat(service.find(1)).isEqualTo("find 1 in transaction true");
				assertThat(service.find(1)).isEqualTo("find 1 in transaction true");
				assertThat(transactions.events).containsExactly("begin", "commit");
				assertThat(service.calls()).isEqualTo(1);
			});
	}

	@Test
	void keyExpressionThatFailsAfterSpelCompiledItFailsTheSameWay() {
		run((context, library) -> {
			for (int i = 0; i < 300; i++) {
				library.ownerId(new User(i, "user " + i));
			}
			assertThatIllegalState(() -> library.ownerId(null))
				.withMessage("Evaluating the key expression '#user.id' of cache 'LibraryService.ownerId' failed: "
						+ "EL1007E: Property or field 'id' cannot be found on null");
			assertThat(cache(context, "LibraryService.ownerId").inFlightKeys()).isZero();
			assertThat(library.ownerId(new User(1, "other"))).isEqualTo("user 1");
		});
	}

	@Test
	void concurrentCallsThroughTheProxyRunTheMethodOnce() {
		this.contextRunner.withBean(SlowService.class).run((context) -> {
			SlowService service = context.getBean(SlowService.class);
			CachedCache cache = cache(context, "SlowService.load");
			int callers = 8;
			ExecutorService executor = Executors.newFixedThreadPool(callers);
			try {
				List<Future<String>> results = new ArrayList<>();
				for (int i = 0; i < callers; i++) {
					results.add(executor.submit(() -> service.load("k")));
				}
				Awaitility.await()
					.atMost(Duration.ofSeconds(10))
					.pollInterval(Duration.ofMillis(5))
					.until(() -> cache.getStatistics().coalesced() == callers - 1);
				service.release();
				for (Future<String> result : results) {
					assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("k #1");
				}
			}
			finally {
				service.release();
				executor.shutdownNow();
			}
			assertThat(service.calls()).isEqualTo(1);
			assertThat(cache.getStatistics().hits()).isEqualTo(callers - 1);
			assertThat(cache.getStatistics().misses()).isEqualTo(1);
			assertThat(cache.inFlightKeys()).isZero();
		});
	}

	@Test
	void annotationOnAnOverriddenSuperclassMethodApplies() {
		this.contextRunner.withBean(OverridingService.class).run((context) -> {
			OverridingService service = context.getBean(OverridingService.class);
			assertThat(service.find(1)).isEqualTo("overriding 1 #1");
			assertThat(service.find(1)).isEqualTo("overriding 1 #1");
			assertThat(cache(context, "OverridingService.find").getMethods())
				.containsExactly("dev.cached.aop.CachedInterceptorTests$OverridingService.find(long)");
		});
	}

	@Test
	void annotationOnAnInheritedSuperclassMethodApplies() {
		this.contextRunner.withBean(InheritingService.class).run((context) -> {
			InheritingService service = context.getBean(InheritingService.class);
			assertThat(service.find(1)).isEqualTo("base 1 #1");
			assertThat(service.find(1)).isEqualTo("base 1 #1");
			assertThat(cache(context, "BaseService.find").getMethods())
				.containsExactly("dev.cached.aop.CachedInterceptorTests$BaseService.find(long)");
		});
	}

	@Test
	void cachedOnInterfaceOfAJdkProxyBeanIsApplied() {
		// e.g. an HTTP interface client: the bean is a JDK proxy with no target class
		AtomicInteger calls = new AtomicInteger();
		RatesClient client = (RatesClient) java.lang.reflect.Proxy.newProxyInstance(
				RatesClient.class.getClassLoader(), new Class<?>[] { RatesClient.class },
				(proxy, method, args) -> (method.getDeclaringClass() == Object.class) ? method.invoke(calls, args)
						: args[0] + " " + calls.incrementAndGet());
		this.contextRunner.withBean(RatesClient.class, () -> client).run((context) -> {
			assertThat(context).hasNotFailed();
			RatesClient bean = context.getBean(RatesClient.class);
			assertThat(bean.rate("EUR")).isEqualTo("EUR 1");
			assertThat(bean.rate("EUR")).isEqualTo("EUR 1");
			assertThat(calls).hasValue(1);
			assertThat(cache(context, "RatesClient.rate").getMethods())
				.containsExactly("dev.cached.aop.CachedInterceptorTests$RatesClient.rate(java.lang.String)");
		});
	}

	@Test
	void transactionalMissThatFailsRollsBackAndRethrowsTheSameException() {
		this.contextRunner.withUserConfiguration(TransactionConfiguration.class).run((context) -> {
			TransactionalService service = context.getBean(TransactionalService.class);
			RecordingTransactionManager transactions = context.getBean(RecordingTransactionManager.class);
			IllegalArgumentException failure = new IllegalArgumentException("rejected");
			assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> service.fail(failure))
				.isSameAs(failure);
			assertThat(transactions.events).containsExactly("begin", "rollback");
			assertThat(cache(context, "TransactionalService.fail").estimatedSize()).isZero();
		});
	}

	private void run(ContextCallback callback) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			callback.accept(context, context.getBean(LibraryService.class));
		});
	}

	private static CachedCache cache(AssertableApplicationContext context, String name) {
		CachedCache cache = context.getBean(CacheRegistry.class).getCache(name);
		assertThat(cache).as("cache %s", name).isNotNull();
		return cache;
	}

	private static org.assertj.core.api.ThrowableAssertAlternative<IllegalStateException> assertThatIllegalState(
			org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
		return assertThatExceptionOfType(IllegalStateException.class).isThrownBy(call);
	}

	interface ContextCallback {

		void accept(AssertableApplicationContext context, LibraryService library) throws Exception;

	}

	static class Tenant {

		private volatile String current = "none";

		public String current() {
			return this.current;
		}

		public void set(String current) {
			this.current = current;
		}

	}

	public static class User {

		private final long id;

		private final String name;

		User(long id, String name) {
			this.id = id;
			this.name = name;
		}

		public long getId() {
			return this.id;
		}

		public String getName() {
			return this.name;
		}

	}

	static class LibraryService {

		private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

		private final AtomicInteger sequence = new AtomicInteger();

		public int calls(String method) {
			AtomicInteger count = this.calls.get(method);
			return (count != null) ? count.get() : 0;
		}

		private int called(String method) {
			this.calls.computeIfAbsent(method, (name) -> new AtomicInteger()).incrementAndGet();
			return this.sequence.incrementAndGet();
		}

		@Cached
		public int count() {
			called("count");
			return 1;
		}

		@Cached
		public String title(@Nullable Long id) {
			called("title");
			return "title " + id;
		}

		@Cached
		public String search(String text, int[] numbers, String @Nullable [] tags) {
			called("search");
			return text + " " + java.util.Arrays.toString(numbers) + " " + java.util.Arrays.toString(tags);
		}

		@Cached
		public long sum(long[] values) {
			called("sum");
			return java.util.Arrays.stream(values).sum();
		}

		@Cached(name = "books")
		public String book(Long id) {
			return "book " + id + " #" + called("book");
		}

		@Cached(name = "books", key = "#id")
		public String bookByExpression(Long id) {
			return "by expression " + id + " #" + called("bookByExpression");
		}

		@CacheInvalidate(name = "books", key = "#id")
		public void evictBook(Long id) {
		}

		@CacheInvalidate(name = "books", allEntries = true)
		public void clearBooks() {
		}

		@CacheInvalidate(name = "books", beforeInvocation = true)
		public void evictBookBeforeAndFail(Long id) {
			throw new IllegalStateException("failed " + id);
		}

		@CacheInvalidate(name = "books")
		public void evictBookAfterAndFail(Long id) {
			throw new IllegalStateException("failed " + id);
		}

		@CacheInvalidate(name = "books", key = "#result")
		public Long evictByResult(String name) {
			return "nine".equals(name) ? 9L : 0L;
		}

		@CacheInvalidate(name = "books")
		@CacheInvalidate(name = "LibraryService.title", key = "#p0")
		@CacheInvalidate(name = "LibraryService.count", allEntries = true)
		public void evictEverywhere(Long id) {
		}

		@Cached(key = "#p0")
		public String byP0(int id, String text) {
			called("byP0");
			return "p0 " + id + " " + text;
		}

		@Cached(key = "#a0")
		public String byA0(int id, String text) {
			called("byA0");
			return "a0 " + id + " " + text;
		}

		@Cached(key = "#root.args[0]")
		public String byRootArgs(int id, String text) {
			called("byRootArgs");
			return "args " + id + " " + text;
		}

		@Cached(key = "#root.methodName")
		public String byMethodName(int id) {
			called("byMethodName");
			return "name " + id;
		}

		@Cached(key = "@tenant.current() + ':' + #user.id")
		public String owner(User user) {
			called("owner");
			return "owner " + user.getName();
		}

		@Cached(key = "#user.id")
		public String ownerId(@Nullable User user) {
			called("ownerId");
			return user.getName();
		}

		@Cached(condition = "#id > 0")
		public String conditional(int id) {
			return "conditional " + id + " #" + called("conditional");
		}

		@Cached(unless = "#result.startsWith('skip')")
		public String vetoed(String text) {
			return text + " #" + called("vetoed");
		}

		@Cached
		public @Nullable String nothing(int id) {
			called("nothing");
			return null;
		}

		@Cached
		public Optional<String> empty(int id) {
			called("empty");
			return Optional.empty();
		}

		@Cached
		public Optional<String> present(int id) {
			called("present");
			return Optional.of("present " + id);
		}

		@Cached
		public <T> T convert(String text, Class<T> type) {
			called("convert");
			return type.cast(Integer.valueOf(text));
		}

		@Cached
		public String read(IOException failure) throws IOException {
			called("read");
			throw failure;
		}

	}

	static class SlowService {

		private final CountDownLatch release = new CountDownLatch(1);

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		public void release() {
			this.release.countDown();
		}

		@Cached
		public String load(String key) throws InterruptedException {
			int call = this.calls.incrementAndGet();
			if (!this.release.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("not released");
			}
			return key + " #" + call;
		}

	}

	abstract static class BaseService {

		private final AtomicInteger calls = new AtomicInteger();

		protected int next() {
			return this.calls.incrementAndGet();
		}

		@Cached
		public String find(long id) {
			return "base " + id + " #" + next();
		}

	}

	static class OverridingService extends BaseService {

		@Override
		public String find(long id) {
			return "overriding " + id + " #" + next();
		}

	}

	static class InheritingService extends BaseService {

	}

	public interface RatesClient {

		@Cached
		String rate(String currency);

	}

	interface Repository<T> {

		@Cached
		T find(long id);

		@Cached
		T load(IOException failure) throws IOException;

	}

	static class UserRepository implements Repository<User> {

		@Override
		public User find(long id) {
			return new User(id, "user " + id);
		}

		@Override
		public User load(IOException failure) throws IOException {
			throw failure;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement
	static class TransactionConfiguration {

		@Bean
		RecordingTransactionManager transactionManager() {
			return new RecordingTransactionManager();
		}

		@Bean
		TransactionalService transactionalService() {
			return new TransactionalService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement(order = 10)
	static class OrderedTransactionConfiguration {

		@Bean
		RecordingTransactionManager transactionManager() {
			return new RecordingTransactionManager();
		}

		@Bean
		TransactionalService transactionalService() {
			return new TransactionalService();
		}

	}

	static class TransactionalService {

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		@Cached
		@Transactional
		public String find(long id) {
			this.calls.incrementAndGet();
			return "find " + id + " in transaction " + TransactionSynchronizationManager.isActualTransactionActive();
		}

		@Cached
		@Transactional
		public String fail(RuntimeException failure) {
			throw failure;
		}

	}

	static class RecordingTransactionManager extends AbstractPlatformTransactionManager {

		final List<String> events = new ArrayList<>();

		@Override
		protected Object doGetTransaction() {
			return new Object();
		}

		@Override
		protected void doBegin(Object transaction, TransactionDefinition definition) {
			this.events.add("begin");
		}

		@Override
		protected void doCommit(DefaultTransactionStatus status) {
			this.events.add("commit");
		}

		@Override
		protected void doRollback(DefaultTransactionStatus status) {
			this.events.add("rollback");
		}

	}

}
