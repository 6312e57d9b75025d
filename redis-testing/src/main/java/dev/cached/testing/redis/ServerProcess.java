package dev.cached.testing.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * The life of one {@code redis-server} process of a {@link RedisServer}: started on a free
 * port in a data directory of its own, then stopped, killed, paused, resumed and started
 * again on the same port and directory. Every method that changes the state holds the
 * object's lock; the state is read by any thread.
 */
final class ServerProcess {

	/** The name of the sentinel's configuration file, in the data directory. */
	static final String SENTINEL_CONFIG = "sentinel.conf";

	/** The log of the server, in the data directory. */
	static final String LOG = "redis-server.log";

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration PING_TIMEOUT = Duration.ofMillis(500);

	private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

	private static final Duration BIND_RETRY_DELAY = Duration.ofMillis(100);

	private static final int START_ATTEMPTS = 3;

	/** The binary given to the builder, if any; else the one on the {@code PATH}. */
	private final @Nullable Path configuredExecutable;

	/** The builder's further arguments, after the launcher's own. */
	private final List<String> arguments;

	/** The lines of a sentinel's configuration file, or {@code null} for a data server. */
	private final @Nullable List<String> sentinelConfig;

	// Written under the lock by the first start, then never changed; read by any thread.

	/** The binary that runs, once started. */
	private volatile @Nullable Path executable;

	/** The port, once started (0 before); the same across restarts. */
	private volatile int port;

	/** The data directory and the log, once started; the same across restarts. */
	private volatile @Nullable Path directory;

	// Written under the lock by every start, stop, kill, pause and resume.

	private volatile @Nullable Process process;

	private volatile boolean paused;

	ServerProcess(@Nullable Path executable, List<String> arguments, @Nullable List<String> sentinelConfig) {
		this.configuredExecutable = executable;
		this.arguments = List.copyOf(arguments);
		this.sentinelConfig = (sentinelConfig != null) ? List.copyOf(sentinelConfig) : null;
	}

	/** The port, 0 before the first start. */
	int port() {
		return this.port;
	}

	@Nullable Path directory() {
		return this.directory;
	}

	boolean isRunning() {
		Process current = this.process;
		return current != null && current.isAlive();
	}

	boolean isPaused() {
		return this.paused;
	}

	/** The process id of the running server, or -1. */
	long pid() {
		Process current = this.process;
		return (current != null && current.isAlive()) ? current.pid() : -1;
	}

	/**
	 * Start the server and wait until it answers {@code PING}: the first time on a free
	 * port and in a new data directory, later on the same port and directory.
	 */
	synchronized void launch() {
		if (isRunning()) {
			throw new IllegalStateException(describe() + " is running: stop() or kill() it before restart()");
		}
		if (this.port == 0) {
			launchFirst();
		}
		else {
			launchAgain();
		}
	}

	synchronized void stop() {
		Process current = this.process;
		if (current == null || !current.isAlive()) {
			return;
		}
		if (this.paused) {
			resume();
		}
		try {
			Resp.send(this.port, SHUTDOWN_TIMEOUT, Resp.bytes("SHUTDOWN", "NOSAVE"));
		}
		catch (RuntimeException ex) {
			// expected: the server closes the connection without a reply
		}
		if (!Processes.waitForExit(current, Processes.EXIT_TIMEOUT)) {
			current.destroyForcibly();
			Processes.awaitExit(current);
		}
		exited(current);
	}

	synchronized void kill() {
		Process current = this.process;
		if (current == null) {
			return;
		}
		current.destroyForcibly();
		Processes.awaitExit(current);
		exited(current);
	}

	synchronized void pause() {
		signal("STOP");
		this.paused = true;
	}

	synchronized void resume() {
		signal("CONT");
		this.paused = false;
	}

	/** Stop the server if it is running, and delete its data directory. */
	synchronized void close() {
		try {
			stop();
		}
		finally {
			Process current = this.process;
			if (current != null && current.isAlive()) {
				current.destroyForcibly();
			}
			Path dir = this.directory;
			if (dir != null) {
				Processes.deleteDirectory(dir);
			}
		}
	}

	private void launchFirst() {
		this.executable = resolveExecutable();
		if (this.directory == null) {
			try {
				this.directory = Files.createTempDirectory("redis-server-");
				if (this.sentinelConfig != null) {
					// a sentinel rewrites its file as it learns the topology: written once
					Files.write(this.directory.resolve(SENTINEL_CONFIG), this.sentinelConfig);
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot create a directory for redis-server", ex);
			}
		}
		for (int attempt = 1;; attempt++) {
			this.port = Processes.freePort();
			try {
				spawn();
				return;
			}
			catch (PortInUseException ex) {
				// another process took the free port in the meantime: try another one
				if (attempt == START_ATTEMPTS) {
					this.port = 0;
					throw new IllegalStateException(
							"redis-server found no free port in " + START_ATTEMPTS + " attempts: " + ex.getMessage());
				}
			}
			catch (RuntimeException | Error ex) {
				this.port = 0;
				throw ex;
			}
		}
	}

	private void launchAgain() {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (true) {
			try {
				spawn();
				return;
			}
			catch (PortInUseException ex) {
				if (System.nanoTime() - deadline > 0) {
					throw new IllegalStateException("redis-server could not bind port " + this.port + " again within "
							+ STARTUP_TIMEOUT.toSeconds() + " s: " + ex.getMessage());
				}
				// the old sockets are still being torn down: back off briefly, then bind again
				LockSupport.parkNanos(BIND_RETRY_DELAY.toNanos());
			}
		}
	}

	private Path resolveExecutable() {
		Path configured = this.configuredExecutable;
		if (configured != null) {
			if (!Files.isRegularFile(configured) || !Files.isExecutable(configured)) {
				throw new IllegalStateException("redis-server " + configured + " is not an executable file");
			}
			return configured;
		}
		Path found = RedisServer.findExecutable();
		RedisServer.assumeAvailable(found, System.getenv("CI"));
		return found;
	}

	private void spawn() {
		Path binary = this.executable;
		Path dir = this.directory;
		if (binary == null || dir == null) {
			throw new IllegalStateException("redis-server has not been started");
		}
		Path log = dir.resolve(LOG);
		List<String> command = new ArrayList<>(List.of(binary.toString()));
		if (this.sentinelConfig != null) {
			// a sentinel's configuration file must come first
			command.addAll(List.of(dir.resolve(SENTINEL_CONFIG).toString(), "--sentinel"));
		}
		command.addAll(List.of("--port", String.valueOf(this.port), "--bind", RedisServer.HOST, "--save", "",
				"--appendonly", "no", "--protected-mode", "no", "--dir", dir.toString(), "--dbfilename",
				RedisServer.SNAPSHOT));
		command.addAll(this.arguments);
		Process started;
		long logOffset;
		try {
			Files.createDirectories(dir);
			logOffset = Files.exists(log) ? Files.size(log) : 0;
			started = new ProcessBuilder(command).directory(dir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + binary, ex);
		}
		Processes.started(started);
		this.process = started;
		this.paused = false;
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		// polling a process that starts (and may load a snapshot first): it answers within
		// tens of milliseconds, and an exit ends the wait at once
		while (!Resp.answersPing(this.port, PING_TIMEOUT)) {
			if (!started.isAlive()) {
				Processes.awaitExit(started);
				exited(started);
				String output = Processes.logSince(log, logOffset);
				if (output.contains("Address already in use")) {
					throw new PortInUseException("port " + this.port + " is in use:\n" + output);
				}
				throw new IllegalStateException("redis-server on port " + this.port + " exited with code "
						+ started.exitValue() + " instead of starting; its log:\n" + output);
			}
			if (System.nanoTime() - deadline > 0) {
				started.destroyForcibly();
				Processes.awaitExit(started);
				exited(started);
				throw new IllegalStateException("redis-server on port " + this.port + " did not answer PING within "
						+ STARTUP_TIMEOUT.toSeconds() + " s; its log:\n" + Processes.logSince(log, logOffset));
			}
			LockSupport.parkNanos(POLL_INTERVAL.toNanos());
		}
	}

	private void signal(String signal) {
		Process current = this.process;
		if (current == null || !current.isAlive()) {
			throw new IllegalStateException(describe() + " is not running");
		}
		Processes.signal(current, signal);
	}

	private void exited(Process exited) {
		Processes.exited(exited);
		this.paused = false;
	}

	String describe() {
		return "redis-server on port " + this.port;
	}

	/** The server could not bind its port. */
	private static final class PortInUseException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		PortInUseException(String message) {
			super(message);
		}

	}

}
