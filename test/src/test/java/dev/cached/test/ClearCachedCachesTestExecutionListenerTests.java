package dev.cached.test;

import java.lang.reflect.Method;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.TestContextManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ClearCachedCachesTestExecutionListener}, driven through Spring's own
 * {@link TestContextManager} (which finds the listener in {@code META-INF/spring.factories})
 * phase by phase, so that each phase's effect is seen on its own.
 */
class ClearCachedCachesTestExecutionListenerTests {

	@Test
	void isRegisteredForEverySpringTest() {
		assertThat(new TestContextManager(Annotated.class).getTestExecutionListeners())
			.hasAtLeastOneElementOfType(ClearCachedCachesTestExecutionListener.class);
	}

	@Test
	void emptiesTheCachesBeforeEachTestMethod() throws Exception {
		TestContextManager manager = new TestContextManager(Annotated.class);
		Annotated test = prepare(manager, new Annotated());
		test.service.next("before");
		assertThat(cache(manager).peek("before")).isNotNull();

		manager.beforeTestMethod(test, testMethod(Annotated.class));

		assertThat(cache(manager).peek("before")).isNull();
	}

	@Test
	void emptiesTheCachesAfterEachTestMethod() throws Exception {
		TestContextManager manager = new TestContextManager(Annotated.class);
		Annotated test = prepare(manager, new Annotated());
		Method method = testMethod(Annotated.class);
		manager.beforeTestMethod(test, method);
		test.service.next("after");
		assertThat(cache(manager).peek("after")).isNotNull();

		manager.afterTestMethod(test, method, null);

		assertThat(cache(manager).peek("after")).isNull();
	}

	@Test
	void leavesTheCachesOfATestClassWithoutTheAnnotationAlone() throws Exception {
		TestContextManager manager = new TestContextManager(NotAnnotated.class);
		NotAnnotated test = prepare(manager, new NotAnnotated());
		Method method = testMethod(NotAnnotated.class);
		test.service.next("kept");

		manager.beforeTestMethod(test, method);
		manager.afterTestMethod(test, method, null);

		assertThat(cache(manager).peek("kept")).isNotNull();
	}

	@Test
	void findsTheAnnotationOnAMetaAnnotationAndASuperclass() throws Exception {
		TestContextManager manager = new TestContextManager(InheritsTheAnnotation.class);
		InheritsTheAnnotation test = prepare(manager, new InheritsTheAnnotation());
		test.service.next("inherited");

		manager.beforeTestMethod(test, testMethod(InheritsTheAnnotation.class));

		assertThat(cache(manager).peek("inherited")).isNull();
	}

	@Test
	void doesNothingWhenCachingIsDisabled() throws Exception {
		TestContextManager manager = new TestContextManager(AnnotatedWithCachingDisabled.class);
		AnnotatedWithCachingDisabled test = prepare(manager, new AnnotatedWithCachingDisabled());
		Method method = testMethod(AnnotatedWithCachingDisabled.class);

		manager.beforeTestMethod(test, method);
		manager.afterTestMethod(test, method, null);

		ApplicationContext context = manager.getTestContext().getApplicationContext();
		assertThat(context.getBeanNamesForType(CacheRegistry.class)).isEmpty();
		assertThat(test.service.next("x")).isNotEqualTo(test.service.next("x"));
	}

	private static <T> T prepare(TestContextManager manager, T test) throws Exception {
		manager.beforeTestClass();
		manager.prepareTestInstance(test);
		return test;
	}

	private static CachedCache cache(TestContextManager manager) {
		CachedCache cache = manager.getTestContext()
			.getApplicationContext()
			.getBean(CacheRegistry.class)
			.getCache(CountingService.CACHE_NAME);
		assertThat(cache).isNotNull();
		return cache;
	}

	private static Method testMethod(Class<?> testClass) throws NoSuchMethodException {
		return testClass.getMethod("test");
	}

	@SpringBootTest(classes = CountingApplication.class, webEnvironment = WebEnvironment.NONE)
	@ClearCachedCaches
	static class Annotated {

		@Autowired
		CountingService service;

		public void test() {
		}

	}

	@SpringBootTest(classes = CountingApplication.class, webEnvironment = WebEnvironment.NONE)
	static class NotAnnotated {

		@Autowired
		CountingService service;

		public void test() {
		}

	}

	@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
	@ClearCachedCaches
	@interface CachesClearedPerTest {

	}

	@SpringBootTest(classes = CountingApplication.class, webEnvironment = WebEnvironment.NONE)
	@CachesClearedPerTest
	static class AnnotatedBase {

	}

	static class InheritsTheAnnotation extends AnnotatedBase {

		@Autowired
		CountingService service;

		public void test() {
		}

	}

	@SpringBootTest(classes = CountingApplication.class, webEnvironment = WebEnvironment.NONE,
			properties = "cached.enabled=false")
	@ClearCachedCaches
	static class AnnotatedWithCachingDisabled {

		@Autowired
		CountingService service;

		public void test() {
		}

	}

}
