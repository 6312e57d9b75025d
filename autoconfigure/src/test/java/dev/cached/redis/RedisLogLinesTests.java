package dev.cached.redis;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tier's log lines name the cache and the reason, never an entry's key or value, which
 * may be personal data: neither the WARN of a payload that is not the cache's, nor the
 * WARN of a value that cannot be written as JSON.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisLogLinesTests {

	/** A key that is personal data. */
	private static final String EMAIL = "alice.liddell@example.com";

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 1, "--cached.defaults.remote=true",
			"--cached.defaults.ttl=10m");

	private static final RedisServer redis = instances.redis();

	@Test
	void theWarningOfAForeignPayloadNamesTheCacheButNotTheKey(CapturedOutput output) {
		redis.set(Instances.entry("profiles", EMAIL), "{\"secret\":\"s3cr3t-payload\"}".getBytes(StandardCharsets.UTF_8));
		double errors = instances.count(0, "cache.remote.errors", "profiles");
		assertThat(instances.bean(0, People.class).profile(EMAIL)).isEqualTo(new Profile(EMAIL, "Alice"));
		assertThat(instances.count(0, "cache.remote.errors", "profiles")).isEqualTo(errors + 1);
		assertThat(output).doesNotContain(EMAIL).doesNotContain("s3cr3t-payload");
		assertThat(output).contains("A Redis entry of cache 'profiles' is not JSON of");
	}

	@Test
	void theWarningOfAValueThatCannotBeWrittenNamesTheCacheButNotTheValue(CapturedOutput output) {
		Unwritable value = instances.bean(0, People.class).unwritable(EMAIL);
		assertThat(value.email()).isEqualTo(EMAIL);
		assertThat(output).doesNotContain(EMAIL);
		assertThat(output).contains("A value of cache 'unwritables' could not be written as JSON");
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		People people() {
			return new People();
		}

	}

	/**
	 * A person's profile.
	 *
	 * @param email the person's email address
	 * @param name the person's name
	 */
	public record Profile(String email, String name) {
	}

	/**
	 * A value whose getter fails with a message that quotes the value.
	 *
	 * @param email an email address
	 */
	public record Unwritable(String email) {

		public String getBroken() {
			throw new IllegalStateException("cannot describe " + this.email);
		}

	}

	public static class People {

		@Cached(name = "profiles")
		public Profile profile(String email) {
			return new Profile(email, "Alice");
		}

		@Cached(name = "unwritables")
		public Unwritable unwritable(String email) {
			return new Unwritable(email);
		}

	}

}
