package dev.cached.test;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two test methods in a fixed order call the same cached method with the same argument:
 * with {@link ClearCachedCaches @ClearCachedCaches} the second runs the method again,
 * without it (the control) the second gets the first one's cached value. Both classes
 * share one application context, as Spring's test context cache makes them.
 */
@SpringBootTest(classes = CountingApplication.class, webEnvironment = WebEnvironment.NONE)
class ClearCachedCachesTests {

	@Nested
	@ClearCachedCaches
	@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
	class WithClearCachedCaches {

		private static @Nullable String firstTestsValue;

		@Autowired
		private CountingService service;

		@Test
		@Order(1)
		void firstTestCachesAValue() {
			firstTestsValue = this.service.next("a");

			assertThat(this.service.next("a")).as("cached within the test").isEqualTo(firstTestsValue);
		}

		@Test
		@Order(2)
		void secondTestDoesNotSeeIt() {
			assertThat(firstTestsValue).isNotNull();

			assertThat(this.service.next("a")).isNotEqualTo(firstTestsValue);
		}

	}

	@Nested
	@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
	class WithoutClearCachedCaches {

		private static @Nullable String firstTestsValue;

		@Autowired
		private CountingService service;

		@Test
		@Order(1)
		void firstTestCachesAValue() {
			firstTestsValue = this.service.next("b");
		}

		@Test
		@Order(2)
		void secondTestSeesIt() {
			assertThat(firstTestsValue).isNotNull();

			assertThat(this.service.next("b")).isEqualTo(firstTestsValue);
		}

	}

}
