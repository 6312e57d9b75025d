package dev.cached.test;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;

import org.springframework.context.ApplicationContext;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.TestContextAnnotationUtils;
import org.springframework.test.context.support.AbstractTestExecutionListener;

/**
 * Empties every {@code @Cached} cache (through each {@link CacheRegistry} bean of the
 * test's application context) before and after each test method of a test class
 * annotated with {@link ClearCachedCaches @ClearCachedCaches}; does nothing for any
 * other test class. Registered for every Spring test through {@code META-INF/spring.factories}.
 * <p>
 * It runs after dependency injection and before a test-managed transaction starts, so a
 * test method and its {@code @BeforeEach} methods start from empty caches, and a
 * {@code @AfterEach} method still sees what the test method cached.
 */
public class ClearCachedCachesTestExecutionListener extends AbstractTestExecutionListener {

	/**
	 * The order: after {@code DirtiesContextTestExecutionListener} (3000), so a context
	 * it closes is not touched, and before {@code TransactionalTestExecutionListener}
	 * (4000).
	 */
	public static final int ORDER = 3500;

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public void beforeTestMethod(TestContext testContext) {
		if (isEnabled(testContext)) {
			clear(testContext.getApplicationContext());
		}
	}

	@Override
	public void afterTestMethod(TestContext testContext) {
		// a context that the test marked dirty is already gone: nothing to clear then
		if (isEnabled(testContext) && testContext.hasApplicationContext()) {
			clear(testContext.getApplicationContext());
		}
	}

	private static boolean isEnabled(TestContext testContext) {
		return TestContextAnnotationUtils.hasAnnotation(testContext.getTestClass(), ClearCachedCaches.class);
	}

	private static void clear(ApplicationContext context) {
		context.getBeanProvider(CacheRegistry.class)
			.forEach((registry) -> registry.getCaches().forEach(CachedCache::invalidateAll));
	}

}
