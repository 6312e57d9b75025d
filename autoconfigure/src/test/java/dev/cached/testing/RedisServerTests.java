package dev.cached.testing;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The test helper {@link RedisServer}: a real server on a port of its own that tests can
 * kill, restart and pause.
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

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
