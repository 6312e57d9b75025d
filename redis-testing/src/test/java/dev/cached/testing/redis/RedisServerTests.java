package dev.cached.testing.redis;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The launcher {@link RedisServer}: a real server on a port of its own that tests can
 * kill, restart, pause, and restart from a snapshot.
 */
class RedisServerTests {

	@Test
	void startsOnAFreePortAndStoresValues() {
		try (RedisServer server = RedisServer.start()) {
			assertThat(server.isRunning()).isTrue();
			assertThat(server.host()).isEqualTo("127.0.0.1");
			assertThat(server.port()).isPositive().isNotEqualTo(6379);
			assertThat(server.command("PING")).isEqualTo("PONG");
			byte[] value = { 0, (byte) 0xff, '\r', '\n', 'x' };
			server.set("binary", value);
			assertThat(server.get("binary")).isEqualTo(value);
			assertThat(server.get("missing")).isNull();
			assertThat(server.command("GET", "binary")).isEqualTo(new String(value, StandardCharsets.UTF_8));
		}
	}

	@Test
	void parsesEveryKindOfReply() {
		try (RedisServer server = RedisServer.start()) {
			assertThat(server.command("SET", "text", "é")).isEqualTo("OK");
			assertThat(server.command("INCR", "counter")).isEqualTo(1L);
			assertThat(server.command("MGET", "text", "missing", "counter")).isEqualTo(Arrays.asList("é", null, "1"));
			assertThat(server.command("GET", "missing")).isNull();
			assertThat(server.command("SET", "expiring", "v", "PX", "60000")).isEqualTo("OK");
			assertThat(server.pttl("expiring")).isBetween(1L, 60000L);
			assertThat(server.pttl("text")).isEqualTo(-1L);
			assertThat(server.pttl("missing")).isEqualTo(-2L);
			assertThat(server.keys("*")).containsExactlyInAnyOrder("text", "counter", "expiring");
			assertThat(server.keys("t*")).containsExactly("text");
			assertThatIllegalStateException().isThrownBy(() -> server.command("NO-SUCH-COMMAND"))
				.withMessageContaining("NO-SUCH-COMMAND")
				.withMessageContaining("ERR");
			server.flushAll();
			assertThat(server.keys("*")).isEmpty();
		}
	}

	@Test
	void serversAreIndependent() {
		try (RedisServer one = RedisServer.start(); RedisServer two = RedisServer.start()) {
			assertThat(one.port()).isNotEqualTo(two.port());
			one.set("k", bytes("one"));
			assertThat(two.get("k")).isNull();
		}
	}

	@Test
	void killedServerFailsCommandsAndRestartsEmptyOnTheSamePort() {
		try (RedisServer server = RedisServer.start()) {
			int port = server.port();
			server.set("k", bytes("v"));
			server.kill();
			assertThat(server.isRunning()).isFalse();
			assertThatThrownBy(() -> server.command("PING")).isInstanceOf(UncheckedIOException.class)
				.hasCauseInstanceOf(ConnectException.class);
			server.restart();
			assertThat(server.isRunning()).isTrue();
			assertThat(server.port()).isEqualTo(port);
			assertThat(server.command("PING")).isEqualTo("PONG");
			assertThat(server.get("k")).isNull();
		}
	}

	@Test
	void stoppedServerRestartsOnTheSamePort() {
		try (RedisServer server = RedisServer.start()) {
			int port = server.port();
			server.stop();
			assertThat(server.isRunning()).isFalse();
			assertThatThrownBy(() -> server.command("PING")).isInstanceOf(UncheckedIOException.class);
			server.stop();
			server.restart();
			assertThat(server.port()).isEqualTo(port);
			assertThat(server.command("PING")).isEqualTo("PONG");
		}
	}

	@Test
	void restartOfARunningServerIsRejected() {
		try (RedisServer server = RedisServer.start()) {
			assertThatIllegalStateException().isThrownBy(server::restart).withMessageContaining("is running");
			assertThat(server.command("PING")).isEqualTo("PONG");
		}
	}

	@Test
	void pausedServerAnswersNothingUntilResumed() {
		try (RedisServer server = RedisServer.start()) {
			server.pause();
			try {
				assertThat(server.isRunning()).isTrue();
				assertThatThrownBy(() -> server.command(Duration.ofMillis(300), "PING"))
					.isInstanceOf(UncheckedIOException.class)
					.hasCauseInstanceOf(SocketTimeoutException.class);
			}
			finally {
				server.resume();
			}
			assertThat(server.command("PING")).isEqualTo("PONG");
		}
	}

	@Test
	void closeStopsAPausedServer() {
		RedisServer server = RedisServer.start();
		server.pause();
		server.close();
		assertThat(server.isRunning()).isFalse();
		assertThatThrownBy(() -> server.command("PING")).isInstanceOf(UncheckedIOException.class);
	}

	@Test
	void restartStartsFromTheLastSnapshotInTheSameDirectory() throws Exception {
		try (RedisServer server = RedisServer.start()) {
			int port = server.port();
			Path directory = server.directory();
			server.set("saved", bytes("v1"));
			Path snapshot = server.save();
			assertThat(snapshot).isRegularFile().hasFileName("dump.rdb").hasParent(directory);
			server.set("saved", bytes("v2"));
			server.set("unsaved", bytes("lost"));
			server.kill();
			server.restart();
			assertThat(server.port()).isEqualTo(port);
			assertThat(server.directory()).isEqualTo(directory);
			assertThat(server.get("saved")).isEqualTo(bytes("v1"));
			assertThat(server.get("unsaved")).isNull();
		}
	}

	@Test
	void stopLeavesTheSnapshotAsItWasSaved() {
		try (RedisServer server = RedisServer.start()) {
			server.set("saved", bytes("v"));
			server.save();
			server.set("unsaved", bytes("lost"));
			server.stop();
			server.restart();
			assertThat(server.keys("*")).containsExactly("saved");
		}
	}

	@Test
	void closeDeletesTheDataDirectory() {
		RedisServer server = RedisServer.start();
		server.set("k", bytes("v"));
		Path snapshot = server.save();
		server.close();
		assertThat(snapshot).doesNotExist();
		assertThat(server.directory()).doesNotExist();
	}

	@Test
	void argumentsGoToTheServersCommandLine() {
		try (RedisServer server = RedisServer.builder().arguments("--maxmemory", "12345678").start()) {
			assertThat(server.command("CONFIG", "GET", "maxmemory")).isEqualTo(List.of("maxmemory", "12345678"));
			assertThat(server.command("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
		}
	}

	@Test
	void aServerThatExitsInsteadOfStartingFailsWithItsLog() {
		RedisServer.assumeAvailable();
		assertThatIllegalStateException()
			.isThrownBy(() -> RedisServer.builder().arguments("--no-such-option", "x").start())
			.withMessageContaining("exited with code")
			.withMessageContaining("no-such-option");
	}

	@Test
	void theLaunchersOwnOptionsAreNotArguments() {
		for (String option : List.of("--port", "--bind", "--dir", "--dbfilename")) {
			assertThatIllegalArgumentException().isThrownBy(() -> RedisServer.builder().arguments(option, "1"))
				.withMessageStartingWith("The launcher sets " + option + " itself");
		}
	}

	@Test
	void aGivenBinaryThatIsMissingFailsTheStartInsteadOfSkipping() {
		Path missing = Path.of("no-such-directory", "redis-server");
		assertThatIllegalStateException().isThrownBy(() -> RedisServer.builder().executable(missing).start())
			.withMessage("redis-server " + missing + " is not an executable file");
	}

	@Test
	void aGivenBinaryRuns() {
		RedisServer.assumeAvailable();
		Path executable = RedisServer.findExecutable();
		try (RedisServer server = RedisServer.builder().executable(executable).start()) {
			assertThat(server.command("PING")).isEqualTo("PONG");
		}
		assertThat(RedisServer.version(executable)).startsWith("Redis server v=").doesNotContain("\n");
	}

	@Test
	void aServerNeverStartedHasNoPortAndCannotBeRestarted() {
		RedisServer server = RedisServer.builder().build();
		assertThatIllegalStateException().isThrownBy(server::port).withMessage("redis-server has not been started");
		assertThatIllegalStateException().isThrownBy(server::directory)
			.withMessage("redis-server has not been started");
		assertThatIllegalStateException().isThrownBy(server::restart)
			.withMessage("redis-server has not been started");
		assertThat(server.isRunning()).isFalse();
		assertThat(server).hasToString("RedisServer (never started)");
		server.close();
	}

	@Test
	void missingBinaryIsASkipLocallyAndAFailureInCi() {
		assertThatThrownBy(() -> RedisServer.assumeAvailable(null, null)).isInstanceOf(TestAbortedException.class)
			.hasMessageContaining("redis-server not found on PATH")
			.hasMessageContaining("apt-get install redis-server");
		assertThatThrownBy(() -> RedisServer.assumeAvailable(null, "false")).isInstanceOf(TestAbortedException.class);
		assertThatThrownBy(() -> RedisServer.assumeAvailable(null, "true")).isInstanceOf(AssertionError.class)
			.hasMessage("redis-server is required in CI (.ci/run installs it with apt-get)");
		assertThatCode(() -> RedisServer.assumeAvailable(Path.of("/usr/bin/redis-server"), "true"))
			.doesNotThrowAnyException();
	}

	@Test
	void missingBinaryWithoutJUnitIsAnIllegalState() {
		assertThatIllegalStateException().isThrownBy(() -> RedisServer.assumeAvailable(null, null, false))
			.withMessage("redis-server not found on PATH: install it (e.g. apt-get install redis-server, "
					+ "brew install redis), or give it to RedisServer.builder().executable(...)");
		assertThatThrownBy(() -> RedisServer.assumeAvailable(null, "true", false)).isInstanceOf(AssertionError.class)
			.hasMessage("redis-server is required in CI (.ci/run installs it with apt-get)");
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
