package dev.cached.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * A {@code redis-server} of the benchmarks' own, on a free port of {@code 127.0.0.1}
 * (never 6379, which may belong to a Redis that the benchmarks must not touch), without
 * persistence: {@code redis-server --port N --bind 127.0.0.1 --save "" --appendonly no}.
 * {@link #start()} returns once it answers {@code PING}; {@link #close()} destroys it.
 * The binary is {@code -Dbench.redis-server=PATH}, or {@code redis-server} on the
 * {@code PATH}; without it the Redis benchmarks are skipped (see {@link #MISSING}).
 */
final class RedisProcess implements AutoCloseable {

	static final String HOST = "127.0.0.1";

	/** The line printed when the Redis benchmarks are skipped. */
	static final String MISSING = "redis-server not found (on the PATH or -Dbench.redis-server): "
			+ "the Redis benchmarks are skipped; install it (e.g. apt-get install redis-server) to run them";

	private static final long STARTUP_NANOS = TimeUnit.SECONDS.toNanos(10);

	/** Every server still running, destroyed when the JVM exits however it exits. */
	private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "redis-server-reaper"));
	}

	private final Process process;

	private final int port;

	private RedisProcess(Process process, int port) {
		this.process = process;
		this.port = port;
		RUNNING.add(process);
	}

	/**
	 * Return the {@code redis-server} binary, if there is one.
	 * @return the binary, or {@code null}
	 */
	static @Nullable Path executable() {
		String configured = System.getProperty("bench.redis-server");
		if (configured != null) {
			Path path = Path.of(configured);
			return Files.isExecutable(path) ? path : null;
		}
		String path = System.getenv("PATH");
		if (path == null) {
			return null;
		}
		for (String entry : path.split(File.pathSeparator)) {
			if (!entry.isEmpty()) {
				Path candidate = Path.of(entry, "redis-server");
				if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
					return candidate;
				}
			}
		}
		return null;
	}

	/**
	 * Whether a {@code redis-server} binary is there.
	 * @return whether the Redis benchmarks can run
	 */
	static boolean available() {
		return executable() != null;
	}

	/**
	 * Start a server on a free port and wait until it answers {@code PING}.
	 * @return the running server
	 * @throws IllegalStateException if there is no binary, or the server does not answer
	 * within 10 seconds
	 */
	static RedisProcess start() {
		Path executable = executable();
		if (executable == null) {
			throw new IllegalStateException(MISSING);
		}
		IllegalStateException failure = null;
		for (int attempt = 0; attempt < 3; attempt++) {
			int port = freePort();
			Process process;
			try {
				process = new ProcessBuilder(executable.toString(), "--port", Integer.toString(port), "--bind", HOST,
						"--save", "", "--appendonly", "no")
					.redirectErrorStream(true)
					.redirectOutput(ProcessBuilder.Redirect.DISCARD)
					.start();
			}
			catch (IOException ex) {
				throw new IllegalStateException("Cannot start " + executable, ex);
			}
			RedisProcess redis = new RedisProcess(process, port);
			long deadline = System.nanoTime() + STARTUP_NANOS;
			while (process.isAlive() && System.nanoTime() - deadline < 0) {
				if (redis.ping()) {
					return redis;
				}
				// polling a process that starts: it answers within tens of milliseconds
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
			}
			// exited (another process took the port meanwhile) or never answered
			redis.close();
			failure = new IllegalStateException("redis-server on port " + port + " did not answer PING");
		}
		throw failure;
	}

	private static int freePort() {
		for (;;) {
			try (ServerSocket socket = new ServerSocket()) {
				socket.setReuseAddress(false);
				socket.bind(new InetSocketAddress(HOST, 0));
				int port = socket.getLocalPort();
				if (port != 6379) {
					return port;
				}
			}
			catch (IOException ex) {
				throw new IllegalStateException("No free port", ex);
			}
		}
	}

	private boolean ping() {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(HOST, this.port), 200);
			socket.setSoTimeout(1000);
			OutputStream out = socket.getOutputStream();
			out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] reply = in.readNBytes(7);
			return "+PONG\r\n".equals(new String(reply, StandardCharsets.US_ASCII));
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Return the port the server listens on.
	 * @return the port
	 */
	int port() {
		return this.port;
	}

	/**
	 * Return the server's version, from {@code redis-server --version}.
	 * @return the version line, or what went wrong
	 */
	static String version() {
		Path executable = executable();
		if (executable == null) {
			return "none";
		}
		try {
			Process process = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
			String line = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			process.waitFor(10, TimeUnit.SECONDS);
			return line;
		}
		catch (IOException ex) {
			return "unknown (" + ex.getMessage() + ")";
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "unknown";
		}
	}

	/**
	 * Destroy the server and wait until it has exited.
	 */
	@Override
	public void close() {
		this.process.destroy();
		try {
			if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
		RUNNING.remove(this.process);
	}

}
