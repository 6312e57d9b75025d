package dev.cached.testing.redis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * What the launchers of several servers ({@link RedisCluster}, {@link RedisSentinelSetup})
 * share: {@code redis-cli}, bounded waits for a condition that end with the servers' logs,
 * and the state a server reports.
 */
final class Topology {

	/** The name of the client binary looked up on the {@code PATH}. */
	static final String CLI = "redis-cli";

	static final String CLI_MISSING_IN_CI = "redis-cli is required in CI (.ci/run installs it with redis-server)";

	static final String CLI_MISSING = "redis-cli not found on PATH: the cluster tests need it; install it "
			+ "(e.g. apt-get install redis-tools, brew install redis) or they are skipped";

	static final String CLI_MISSING_WITHOUT_JUNIT = "redis-cli not found on PATH: install it (e.g. apt-get install "
			+ "redis-tools, brew install redis)";

	/** How often a condition is polled: servers answer within milliseconds. */
	private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

	/** How long a poll waits for a server's reply: a paused one never answers. */
	static final Duration QUERY_TIMEOUT = Duration.ofMillis(500);

	/** How much of each server's log an error shows. */
	private static final int LOG_TAIL = 3000;

	private Topology() {
	}

	/**
	 * Return {@code redis-cli} on the {@code PATH}; without it, skip the calling test, or
	 * fail it in CI, as {@link RedisServer#assumeAvailable()} does.
	 */
	static Path cli() {
		Path cli = Binaries.find(CLI);
		Binaries.require(cli, System.getenv("CI"), Binaries.JUNIT_PRESENT, CLI_MISSING_IN_CI, CLI_MISSING,
				CLI_MISSING_WITHOUT_JUNIT);
		return cli;
	}

	/**
	 * Poll a condition until it holds, at most {@code timeout}; a condition that throws
	 * counts as not holding yet.
	 * @return how long it took
	 * @throws IllegalStateException if it does not hold in time: the message names what
	 * was awaited, the last error, and the end of every server's log
	 */
	static Duration await(String what, Duration timeout, List<RedisServer> servers, BooleanSupplier condition) {
		long start = System.nanoTime();
		long deadline = start + timeout.toNanos();
		RuntimeException last = null;
		while (true) {
			try {
				if (condition.getAsBoolean()) {
					return Duration.ofNanos(System.nanoTime() - start);
				}
			}
			catch (RuntimeException ex) {
				last = ex;
			}
			if (System.nanoTime() - deadline > 0) {
				throw new IllegalStateException("Timed out after " + timeout.toMillis() + " ms waiting for " + what
						+ ((last != null) ? " (last error: " + last.getMessage() + ")" : "") + "\n" + logs(servers));
			}
			LockSupport.parkNanos(POLL_INTERVAL.toNanos());
		}
	}

	/** The end of every server's log, each under a heading naming it. */
	static String logs(List<RedisServer> servers) {
		StringBuilder logs = new StringBuilder();
		for (RedisServer server : servers) {
			logs.append("--- ").append(server).append(" log:\n");
			try {
				logs.append(Processes.logSince(server.log(), 0, LOG_TAIL));
			}
			catch (IllegalStateException ex) {
				logs.append("(never started)");
			}
			logs.append('\n');
		}
		return logs.toString();
	}

	/** Whether a server runs and is not paused: the only ones a wait can ask. */
	static boolean answering(RedisServer server) {
		return server.isRunning() && !server.isPaused();
	}

	/** The servers of a list that {@link #answering answer}. */
	static List<RedisServer> answering(List<RedisServer> servers) {
		List<RedisServer> answering = new ArrayList<>();
		for (RedisServer server : servers) {
			if (answering(server)) {
				answering.add(server);
			}
		}
		return answering;
	}

	/** A field of an {@code INFO}-like reply of a server, asked with a short timeout. */
	static @Nullable String info(RedisServer server, String field, String... command) {
		return Resp.field(server.command(QUERY_TIMEOUT, command), field);
	}

	/** The role a server reports ({@code master}, {@code slave}, {@code sentinel}). */
	static String role(RedisServer server) {
		Object role = server.command(QUERY_TIMEOUT, "ROLE");
		if (!(role instanceof List<?> list) || list.isEmpty()) {
			throw new IllegalStateException("Unexpected reply to ROLE from " + server + ": " + role);
		}
		return String.valueOf(list.get(0));
	}

	/** The address of a server, {@code 127.0.0.1:<port>}. */
	static String address(RedisServer server) {
		return RedisServer.HOST + ":" + server.port();
	}

	/** Close every server, even if closing one fails; the first failure is thrown. */
	static void closeAll(List<RedisServer> servers) {
		RuntimeException failure = null;
		for (RedisServer server : servers) {
			try {
				server.close();
			}
			catch (RuntimeException ex) {
				if (failure == null) {
					failure = ex;
				}
				else {
					failure.addSuppressed(ex);
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
	}

}
