package dev.cached.sample;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} process that a test starts for itself on a free port of
 * {@code 127.0.0.1} (never 6379, which may belong to a Redis the tests must not touch),
 * without persistence; the few parts of the autoconfigure module's test helper of the same
 * name that the sample's tests need. Without {@code redis-server} on the {@code PATH},
 * {@link #start()} skips the test, except in CI (environment variable {@code CI=true})
 * where it fails it.
 */
final class RedisServer implements AutoCloseable {

	static final String MISSING = "redis-server not found on PATH: this test needs a Redis server binary; "
			+ "install it (e.g. apt-get install redis-server, brew install redis) or it is skipped";

	static final String MISSING_IN_CI = "redis-server is required in CI (.ci/run installs it with apt-get)";

	private static final String HOST = "127.0.0.1";

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();

	static {
		// none survives the test JVM
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> PROCESSES.forEach(Process::destroyForcibly), "redis-server-reaper"));
	}

	private final Process process;

	private final int port;

	private final Path directory;

	private RedisServer(Process process, int port, Path directory) {
		this.process = process;
		this.port = port;
		this.directory = directory;
	}

	/**
	 * Start a server on a free port and wait until it answers {@code PING}.
	 * @return the running server
	 */
	static RedisServer start() {
		Path executable = findExecutable();
		if (executable == null) {
			if ("true".equals(System.getenv("CI"))) {
				throw new AssertionError(MISSING_IN_CI);
			}
			Assumptions.abort(MISSING);
		}
		int port = freePort();
		Path directory;
		Process process;
		try {
			directory = Files.createTempDirectory("redis-server-" + port + "-");
			process = new ProcessBuilder(executable.toString(), "--port", String.valueOf(port), "--bind", HOST,
					"--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", directory.toString())
				.directory(directory.toFile())
				.redirectErrorStream(true)
				.redirectOutput(directory.resolve("redis-server.log").toFile())
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + executable, ex);
		}
		PROCESSES.add(process);
		RedisServer server = new RedisServer(process, port, directory);
		try {
			Awaitility.await()
				.atMost(TIMEOUT)
				.pollInterval(Duration.ofMillis(20))
				.failFast("redis-server exited", () -> !process.isAlive())
				.until(server::answersPing);
			return server;
		}
		catch (RuntimeException | Error ex) {
			String log = server.log();
			server.close();
			throw new AssertionError("redis-server on port " + port + " did not start; its log:\n" + log, ex);
		}
	}

	static @Nullable Path findExecutable() {
		String path = System.getenv("PATH");
		if (path == null) {
			return null;
		}
		for (String entry : path.split(File.pathSeparator)) {
			try {
				Path candidate = Path.of(entry, "redis-server");
				if (!entry.isEmpty() && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
					return candidate;
				}
			}
			catch (InvalidPathException ex) {
				// not a directory name: ignore it, as a shell would
			}
		}
		return null;
	}

	int port() {
		return this.port;
	}

	String host() {
		return HOST;
	}

	/**
	 * Return the keys that match a pattern.
	 * @param pattern a glob-style pattern, e.g. {@code "cached:*"}
	 * @return the keys
	 */
	List<String> keys(String pattern) {
		Object reply = send("KEYS", pattern);
		if (!(reply instanceof List<?> list)) {
			throw new IllegalStateException("Unexpected reply to KEYS: " + reply);
		}
		List<String> keys = new ArrayList<>();
		for (Object key : list) {
			keys.add((String) key);
		}
		return keys;
	}

	/**
	 * Stop the server and delete its directory.
	 */
	@Override
	public void close() {
		try {
			this.process.destroy();
			if (!this.process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				this.process.destroyForcibly();
				this.process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			}
		}
		catch (InterruptedException ex) {
			this.process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
		finally {
			PROCESSES.remove(this.process);
			try (Stream<Path> paths = Files.walk(this.directory)) {
				paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
			}
			catch (IOException ex) {
				// a temporary directory: left for the operating system
			}
		}
	}

	private boolean answersPing() {
		try {
			return "PONG".equals(send("PING"));
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	private String log() {
		try {
			return Files.readString(this.directory.resolve("redis-server.log"));
		}
		catch (IOException ex) {
			return "(no log: " + ex + ")";
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot find a free port", ex);
		}
	}

	// a tiny RESP client

	private @Nullable Object send(String... args) {
		int millis = (int) TIMEOUT.toMillis();
		try (Socket socket = new Socket()) {
			socket.setSoTimeout(millis);
			socket.connect(new InetSocketAddress(HOST, this.port), millis);
			StringBuilder command = new StringBuilder("*" + args.length + "\r\n");
			for (String arg : args) {
				command.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg)
					.append("\r\n");
			}
			OutputStream out = socket.getOutputStream();
			out.write(command.toString().getBytes(StandardCharsets.UTF_8));
			out.flush();
			return read(new BufferedInputStream(socket.getInputStream()));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("redis-server on port " + this.port + " did not answer " + args[0], ex);
		}
	}

	private static @Nullable Object read(InputStream in) throws IOException {
		int type = in.read();
		if (type == -1) {
			throw new EOFException("connection closed without a reply");
		}
		String line = readLine(in);
		switch (type) {
			case '+':
				return line;
			case ':':
				return Long.parseLong(line);
			case '$': {
				int length = Integer.parseInt(line);
				if (length < 0) {
					return null;
				}
				byte[] data = in.readNBytes(length + 2);
				return new String(data, 0, length, StandardCharsets.UTF_8);
			}
			case '*': {
				int count = Integer.parseInt(line);
				List<@Nullable Object> elements = new ArrayList<>();
				for (int i = 0; i < count; i++) {
					elements.add(read(in));
				}
				return elements;
			}
			default:
				throw new IllegalStateException("redis-server replied: " + (char) type + line);
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		for (int c = in.read(); c != '\r'; c = in.read()) {
			if (c == -1) {
				throw new EOFException("connection closed in the middle of a reply");
			}
			line.append((char) c);
		}
		in.read();
		return line.toString();
	}

}
