package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.Map;

import dev.cached.Cached;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteTier;
import dev.cached.expression.MethodExpressions;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link CachedAnnotationValidator}: the rules one annotated method must follow,
 * checked as the method is read.
 */
class CachedAnnotationValidatorTests {

	private static final String PREFIX = "dev.cached.aop.CachedAnnotationValidatorTests$";

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

}
