package dev.cached.testing.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The processes the launchers start: a JVM shutdown hook kills every one still running,
 * so that none survives the JVM; and what the launchers need around them (free ports,
 * signals, waiting for an exit, logs, data directories).
 */
final class Processes {

	/** Redis's default port: never chosen, however free it is. */
	static final int DEFAULT_PORT = 6379;

	static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);

	private static final int LOG_TAIL = 8000;

	private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "redis-server-reaper"));
	}

	private Processes() {
	}

	/** Kill this process when the JVM exits, if it still runs then. */
	static void started(Process process) {
		RUNNING.add(process);
	}

	/** The process has exited: nothing to kill any more. */
	static void exited(Process process) {
		RUNNING.remove(process);
	}

	/** A free port of {@link RedisServer#HOST}, never 6379. */
	static int freePort() {
		while (true) {
			try (ServerSocket socket = new ServerSocket()) {
				socket.setReuseAddress(true);
				socket.bind(new InetSocketAddress(RedisServer.HOST, 0));
				int port = socket.getLocalPort();
				if (port != DEFAULT_PORT) {
					return port;
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot find a free port", ex);
			}
		}
	}

	/** Send a signal ({@code STOP}, {@code CONT}, ...) to a process with {@code kill}. */
	static void signal(Process process, String signal) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
				.redirectErrorStream(true)
				.start();
			String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!waitForExit(kill, EXIT_TIMEOUT) || kill.exitValue() != 0) {
				throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " + output);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot run kill -" + signal, ex);
		}
	}

	/**
	 * Run a command to its end and return its output (standard error included).
	 * @throws IllegalStateException if it does not end in time, or ends with another code
	 * than 0; the message includes its output
	 */
	static String run(Duration timeout, List<String> command) {
		Process process;
		try {
			process = new ProcessBuilder(command).redirectErrorStream(true).start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot run " + command.get(0), ex);
		}
		started(process);
		try {
			// read on another thread: a command whose output fills the pipe would never end
			var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
				try {
					return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
				}
				catch (IOException ex) {
					return "(cannot read its output: " + ex + ")";
				}
			});
			if (!waitForExit(process, timeout)) {
				process.destroyForcibly();
				awaitExit(process);
				throw new IllegalStateException(String.join(" ", command) + " did not end within "
						+ timeout.toSeconds() + " s; its output:\n" + output.join());
			}
			if (process.exitValue() != 0) {
				throw new IllegalStateException(String.join(" ", command) + " exited with code " + process.exitValue()
						+ "; its output:\n" + output.join());
			}
			return output.join();
		}
		finally {
			exited(process);
		}
	}

	static void awaitExit(Process process) {
		if (!waitForExit(process, EXIT_TIMEOUT)) {
			throw new IllegalStateException("Process " + process.pid() + " did not exit within "
					+ EXIT_TIMEOUT.toSeconds() + " s");
		}
	}

	static boolean waitForExit(Process process, Duration timeout) {
		try {
			return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for process " + process.pid(), ex);
		}
	}

	/** The end of a log from {@code offset} on (at most its last 8000 bytes). */
	static String logSince(Path log, long offset) {
		return logSince(log, offset, LOG_TAIL);
	}

	/** The end of a log from {@code offset} on (at most its last {@code tail} bytes). */
	static String logSince(Path log, long offset, int tail) {
		try {
			byte[] content = Files.exists(log) ? Files.readAllBytes(log) : new byte[0];
			int from = (int) Math.max(Math.min(offset, content.length), content.length - tail);
			String text = new String(content, from, content.length - from, StandardCharsets.UTF_8);
			return text.isBlank() ? "(empty)" : text;
		}
		catch (IOException ex) {
			return "(cannot read " + log + ": " + ex + ")";
		}
	}

	/** Delete a directory and everything in it; a failure leaves it to the operating system. */
	static void deleteDirectory(Path dir) {
		if (!Files.exists(dir)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(dir)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			// a temporary directory: left for the operating system
		}
	}

}
