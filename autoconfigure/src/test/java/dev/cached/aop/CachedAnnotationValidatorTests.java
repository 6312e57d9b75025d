package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.Map;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteTier;
import dev.cached.expression.MethodExpressions;
import kotlin.coroutines.Continuation;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link CachedAnnotationValidator}: a method that breaks one of the rules fails
 * startup with a message naming the method and saying what to do; so does a method of a
 * remote cache whose default key has no stable form, read while a tier is attached.
 */
class CachedAnnotationValidatorTests {

	private static final String PREFIX = "dev.cached.aop.CachedAnnotationValidatorTests$";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class));

	@Test
	void cachedOnVoidMethodFailsStartup() {
		assertStartupFailure(VoidMethod.class, "@Cached on method '" + PREFIX
				+ "VoidMethod.refresh(long)' returns void, so there is nothing to cache; use @CacheInvalidate to "
				+ "remove entries, or return the value");
	}

	@Test
	void cachedOnPrivateMethodFailsStartup() {
		assertStartupFailure(PrivateMethod.class, "@Cached on method '" + PREFIX
				+ "PrivateMethod.find(long)' is private, so the Spring proxy cannot intercept it; make it a public, "
				+ "non-final instance method");
	}

	@Test
	void cachedOnFinalMethodFailsStartup() {
		assertStartupFailure(FinalMethod.class, "@Cached on method '" + PREFIX
				+ "FinalMethod.find(long)' is final, so the Spring proxy cannot intercept it; make it a public, "
				+ "non-final instance method");
	}

	@Test
	void cachedOnStaticMethodFailsStartup() {
		assertStartupFailure(StaticMethod.class, "@Cached on method '" + PREFIX
				+ "StaticMethod.find(long)' is static, so the Spring proxy cannot intercept it; make it a public, "
				+ "non-final instance method");
	}

	@Test
	void invalidateWithEmptyNameFailsStartup() {
		assertStartupFailure(EmptyInvalidateName.class, "@CacheInvalidate on method '" + PREFIX
				+ "EmptyInvalidateName.evict(long)' has an empty name; name the cache to invalidate");
	}

	@Test
	void cachedAndInvalidateOnOneMethodFailsStartup() {
		assertStartupFailure(CachedAndInvalidate.class, "@Cached on method '" + PREFIX
				+ "CachedAndInvalidate.find(long)' also has @CacheInvalidate; put them on different methods");
	}

	@Test
	void invalidateWithKeyAndAllEntriesFailsStartup() {
		assertStartupFailure(KeyAndAllEntries.class, "@CacheInvalidate on method '" + PREFIX
				+ "KeyAndAllEntries.evict(long)' sets both key \"#id\" and allEntries = true; use one of them");
	}

	@Test
	void invalidateOnKotlinSuspendFunctionFailsStartup() {
		assertStartupFailure(SuspendInvalidate.class, "@CacheInvalidate on method '" + PREFIX
				+ "SuspendInvalidate.evict(long,kotlin.coroutines.Continuation)' is a Kotlin suspend function, "
				+ "which only @Cached and @CachedAll support: the proxy sees it return at its first suspension, "
				+ "before its work is done; invalidate from the function with "
				+ "CachedCaches.getCache(name).invalidate(key), or annotate a function that is not suspend");
	}

	@Test
	void putOnKotlinSuspendFunctionFailsStartup() {
		assertStartupFailure(SuspendPut.class, "@CachePut on method '" + PREFIX
				+ "SuspendPut.update(long,kotlin.coroutines.Continuation)' is a Kotlin suspend function, which only "
				+ "@Cached and @CachedAll support: its result exists only once the function resumes, after the proxy has "
				+ "returned; put the value from the function with CachedCaches.getCache(name).put(key, value), or "
				+ "annotate a function that is not suspend");
	}

	@Test
	void putOnVoidMethodFailsStartup() {
		assertStartupFailure(VoidPut.class, "@CachePut on method '" + PREFIX
				+ "VoidPut.save(long)' returns void, so there is nothing to store; use @CacheInvalidate to remove "
				+ "entries, or return the value");
	}

	@Test
	void putAndCachedOnOneMethodFailsStartup() {
		assertStartupFailure(PutAndCached.class, "@CachePut on method '" + PREFIX
				+ "PutAndCached.find(long)' also has @Cached; a method either reads through a cache or stores into "
				+ "it: put them on different methods");
	}

	@Test
	void putWithEmptyNameFailsStartup() {
		assertStartupFailure(EmptyPutName.class, "@CachePut on method '" + PREFIX
				+ "EmptyPutName.save(long)' has an empty name; name the cache to store into");
	}

	@Test
	void putOnCompletableFutureMethodFailsStartup() {
		assertStartupFailure(FuturePut.class, "@CachePut on method '" + PREFIX
				+ "FuturePut.save(long)' returns java.util.concurrent.CompletableFuture; asynchronous results are "
				+ "not supported by @CachePut, put a method that returns the value itself");
	}

	@Test
	void defaultKeyWithoutAStableFormOfARemoteCacheFailsAsTheMethodIsReadWhileATierIsAttached() throws Exception {
		CachedOperationSource source = remoteSource(true);
		Method method = Orders.class.getMethod("order", Criteria.class);
		assertThatIllegalStateException().isThrownBy(() -> source.getOperation(method, Orders.class))
			.withMessage("@Cached on method '" + PREFIX + "Orders.order(" + PREFIX + "Criteria)' uses remote cache "
					+ "'orders' whose default key includes a parameter of type " + PREFIX + "Criteria, which has no "
					+ "stable form across instances; give the method a key expression that yields strings, numbers, "
					+ "booleans, enums, UUIDs or records of those (e.g. key = \"#p0.id\"), or set "
					+ "cached.caches.[orders].remote=false");
	}

	@Test
	void defaultKeyDeclaredOnAnInterfaceMethodIsCheckedForTheImplementation() throws Exception {
		CachedOperationSource source = remoteSource(true);
		Method method = OrderLookup.class.getMethod("order", Criteria.class);
		assertThatIllegalStateException().isThrownBy(() -> source.getOperation(method, OrderLookupService.class))
			.withMessageStartingWith("@Cached on method '" + PREFIX + "OrderLookupService.order(" + PREFIX
					+ "Criteria)' uses remote cache 'lookups' whose default key includes a parameter of type "
					+ PREFIX + "Criteria, which has no stable form across instances");
	}

	@Test
	void keyExpressionsAndStableDefaultKeysOfARemoteCacheAreReadWhileATierIsAttached() throws Exception {
		CachedOperationSource source = remoteSource(true);
		assertThat(source.getOperation(Orders.class.getMethod("byCriteria", Criteria.class), Orders.class))
			.isInstanceOf(CachedOperation.class);
		assertThat(source.getOperation(Orders.class.getMethod("byId", long.class), Orders.class))
			.isInstanceOf(CachedOperation.class);
	}

	@Test
	void defaultKeyWithoutAStableFormIsReadWhenItsCacheIsNotRemote() throws Exception {
		CachedOperationSource source = remoteSource(true);
		assertThat(source.getOperation(Orders.class.getMethod("local", Criteria.class), Orders.class))
			.isInstanceOf(CachedOperation.class);
	}

	@Test
	void defaultKeyWithoutAStableFormIsReadWhileNoTierIsAttached() throws Exception {
		// it is checked when a tier is attached: CachedMethodValidatorTests
		CachedOperationSource source = remoteSource(false);
		assertThat(source.getOperation(Orders.class.getMethod("order", Criteria.class), Orders.class))
			.isInstanceOf(CachedOperation.class);
	}

	private void assertStartupFailure(Class<?> beanClass, String message) {
		this.contextRunner.withBean(beanClass).run((context) -> assertFailure(context, message));
	}

	private static void assertFailure(AssertableApplicationContext context, String message) {
		assertThat(context).hasFailed();
		assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
			.isInstanceOf(IllegalStateException.class)
			.hasMessage(message);
	}

	/**
	 * A source whose caches are remote, except cache {@code local}.
	 * @param tierAttached whether a tier shared by several instances is attached
	 */
	static CachedOperationSource remoteSource(boolean tierAttached) {
		CacheSpec remote = new CacheSpec(null, null, null, null, null, null, null, true);
		CacheSpec local = new CacheSpec(null, null, null, null, null, null, null, false);
		CacheRegistry registry = new CacheRegistry((name) -> "local".equals(name) ? local : CacheSpec.NONE, remote);
		if (tierAttached) {
			registry.setRemoteTier(new LocalOnlyTier());
		}
		return new CachedOperationSource(registry, new MethodExpressions(null, null));
	}

	/**
	 * A tier that keeps every cache local: enough for the checks, which read the
	 * settings.
	 */
	static final class LocalOnlyTier implements RemoteTier {

		@Override
		public @Nullable RemoteCache attach(CachedCache cache, Method method) {
			return null;
		}

		@Override
		public Map<String, Object> status() {
			return Map.of("status", "UP");
		}

	}

	/**
	 * A plain class: no stable form across instances.
	 */
	static class Criteria {

		String status() {
			return "open";
		}

	}

	static class Orders {

		@Cached(name = "orders")
		public String order(Criteria criteria) {
			return "order";
		}

		@Cached(name = "byCriteria", key = "#p0")
		public String byCriteria(Criteria criteria) {
			return "order";
		}

		@Cached(name = "byId")
		public String byId(long id) {
			return "order " + id;
		}

		@Cached(name = "local")
		public String local(Criteria criteria) {
			return "order";
		}

	}

	interface OrderLookup {

		@Cached(name = "lookups")
		String order(Criteria criteria);

	}

	static class OrderLookupService implements OrderLookup {

		@Override
		public String order(Criteria criteria) {
			return "order";
		}

	}

	static class VoidMethod {

		@Cached
		public void refresh(long id) {
		}

	}

	static class SuspendPut {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CachePut(name = "books", key = "#id")
		public Object update(long id, Continuation<? super String> continuation) {
			return "x";
		}

	}

	static class SuspendInvalidate {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CacheInvalidate(name = "books")
		public Object evict(long id, Continuation<? super String> continuation) {
			return "x";
		}

	}

	static class PrivateMethod {

		public String call(long id) {
			return find(id);
		}

		@Cached
		private String find(long id) {
			return "x";
		}

	}

	static class FinalMethod {

		@Cached
		public final String find(long id) {
			return "x";
		}

	}

	static class StaticMethod {

		@Cached
		public static String find(long id) {
			return "x";
		}

	}

	static class EmptyInvalidateName {

		@CacheInvalidate(name = " ")
		public void evict(long id) {
		}

	}

	static class CachedAndInvalidate {

		@Cached(name = "books")
		@CacheInvalidate(name = "books")
		public String find(long id) {
			return "x";
		}

	}

	static class KeyAndAllEntries {

		@CacheInvalidate(name = "books", key = "#id", allEntries = true)
		public void evict(long id) {
		}

	}

	static class VoidPut {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CachePut(name = "books", key = "#id")
		public void save(long id) {
		}

	}

	static class PutAndCached {

		@Cached(name = "books")
		@CachePut(name = "books")
		public String find(long id) {
			return "x";
		}

	}

	static class EmptyPutName {

		@CachePut(name = " ")
		public String save(long id) {
			return "x";
		}

	}

	static class FuturePut {

		@CachePut(name = "books")
		public java.util.concurrent.CompletableFuture<String> save(long id) {
			return java.util.concurrent.CompletableFuture.completedFuture("x");
		}

	}

}
