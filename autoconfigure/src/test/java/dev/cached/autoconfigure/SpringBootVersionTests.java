package dev.cached.autoconfigure;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootVersion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tests run against the Spring Boot version the build selects
 * ({@code -Dspring-boot.version}, 4.0.7 by default), so that each leg of the CI matrix
 * proves what it claims.
 */
class SpringBootVersionTests {

	@Test
	void testsRunOnTheSpringBootVersionTheBuildSelects() {
		String selected = System.getProperty("cached.build.spring-boot-version");
		assumeTrue(selected != null, "not run by the Maven build");

		assertThat(SpringBootVersion.getVersion()).isEqualTo(selected);
	}

}
