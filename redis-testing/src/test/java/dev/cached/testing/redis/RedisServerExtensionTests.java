package dev.cached.testing.redis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RedisServerExtension}: in a static field one server for the class (and its
 * {@code @Nested} classes), in an instance field one server for each test, each closed
 * when its class or its test ends.
 */
class RedisServerExtensionTests {

	@RegisterExtension
	static final RedisServerExtension perClass = new RedisServerExtension();

	private static final RedisServer classServer = perClass.server();

	/** The per-test servers of the tests that have run, in order. */
	private static final List<RedisServer> testServers = new CopyOnWriteArrayList<>();

	@RegisterExtension
	final RedisServerExtension perTest = new RedisServerExtension();

	@RepeatedTest(2)
	void aStaticFieldStartsOneServerForTheClassAndAnInstanceFieldOneForEachTest() {
		assertThat(classServer.command("PING")).isEqualTo("PONG");
		RedisServer server = this.perTest.server();
		assertThat(server.command("PING")).isEqualTo("PONG");
		assertThat(server.port()).isNotEqualTo(classServer.port());
		assertThat(testServers).as("the servers of the tests before").allSatisfy((earlier) -> {
			assertThat(earlier).isNotSameAs(server);
			assertThat(earlier.isRunning()).isFalse();
		});
		testServers.add(server);
	}

	@AfterAll
	static void theClassServerOutlivesTheTestsAndTheNestedClass() {
		assertThat(testServers).hasSizeGreaterThanOrEqualTo(2).noneMatch(RedisServer::isRunning);
		assertThat(classServer.isRunning()).isTrue();
	}

	@Nested
	class InANestedClass {

		@Test
		void theEnclosingClassServerIsTheSameAndRunning() {
			assertThat(perClass.server()).isSameAs(classServer);
			assertThat(classServer.command("PING")).isEqualTo("PONG");
		}

	}

}
