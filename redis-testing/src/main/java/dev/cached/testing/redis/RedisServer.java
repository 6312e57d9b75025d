package dev.cached.testing.redis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} process, started for a test or a benchmark on a free port of
 * {@code 127.0.0.1} (never the default 6379, which may belong to a Redis that must not be
 * touched), in a data directory of its own, without automatic persistence. It can be
 * stopped, killed ({@code SIGKILL}), paused ({@code SIGSTOP}) and restarted on the same
 * port and data directory, to see how the code under test copes with a Redis that goes
 * away or hangs; a restart loads the last {@link #save() saved} snapshot, as a real Redis
 * would. It has a tiny RESP client of its own, independent of Lettuce, to look at or
 * change what the server holds.
 * <p>
 * Typical use:
 * <pre class="code">
 * try (RedisServer redis = RedisServer.start()) {
 * 	// point the application at redis.host() and redis.port()
 * 	assertThat(redis.keys("*")).hasSize(1);
 * }
 * </pre>
 * {@link #builder()} adds options: another binary, and further command-line arguments
 * (what a cluster node would need, for instance). {@link RedisServerExtension} starts one
 * for each test class, or each test, of JUnit.
 * <p>
 * The binary is looked up on the {@code PATH} unless {@link Builder#executable(Path)
 * given}. Without it, {@link #start()} skips the calling test, except in CI (environment
 * variable {@code CI=true}) where it fails it: see {@link #assumeAvailable()}. JUnit is
 * needed for that only: code that runs without it (the benchmarks) checks for the binary
 * itself, or gives it. A JVM shutdown hook kills every server still running, so none
 * survives the JVM.
 */
public final class RedisServer implements AutoCloseable {

	/** The name of the binary looked up on the {@code PATH}. */
	public static final String EXECUTABLE = "redis-server";

	/** The address every server listens on. */
	public static final String HOST = "127.0.0.1";

	static final String MISSING_IN_CI = "redis-server is required in CI (.ci/run installs it with apt-get)";

	static final String MISSING = "redis-server not found on PATH: these tests need a Redis server binary; "
			+ "install it (e.g. apt-get install redis-server, brew install redis) or they are skipped";

	static final String MISSING_WITHOUT_JUNIT = "redis-server not found on PATH: install it (e.g. apt-get install "
			+ "redis-server, brew install redis), or give it to RedisServer.builder().executable(...)";

	/** The snapshot file that {@link #save()} writes and a restart loads, in the data directory. */
	static final String SNAPSHOT = "dump.rdb";

	/** The arguments the launcher sets itself: another value would leave it talking to the wrong server. */
	private static final Set<String> OWN_OPTIONS = Set.of("--port", "--bind", "--dir", "--dbfilename");

	/** Redis's default port: never chosen, however free it is. */
	private static final int DEFAULT_PORT = 6379;

	private static final boolean JUNIT_PRESENT = isPresent("org.junit.jupiter.api.Assumptions");

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration SAVE_TIMEOUT = Duration.ofSeconds(30);

	private static final Duration PING_TIMEOUT = Duration.ofMillis(500);

	private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

	private static final Duration BIND_RETRY_DELAY = Duration.ofMillis(100);

	private static final int START_ATTEMPTS = 3;

	private static final int LOG_TAIL = 8000;

	private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> PROCESSES.forEach(Process::destroyForcibly), "redis-server-reaper"));
	}

	/** The binary given to the builder, if any; else the one on the {@code PATH}. */
	private final @Nullable Path configuredExecutable;

	/** The builder's further arguments, after the launcher's own. */
	private final List<String> arguments;

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

	private RedisServer(Builder builder) {
		this.configuredExecutable = builder.executable;
		this.arguments = List.copyOf(builder.arguments);
	}

	/**
	 * Start a server on a free port and wait until it answers {@code PING}. Skips the
	 * calling test, or fails it in CI, when there is no {@code redis-server} on the
	 * {@code PATH}.
	 * @return the running server
	 * @throws IllegalStateException if the server does not come up within 10 seconds; the
	 * message includes its log
	 */
	public static RedisServer start() {
		return builder().start();
	}

	/**
	 * Return a builder for a server with options.
	 * @return a new builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Check that a {@code redis-server} binary is on the {@code PATH}. Without one, fail
	 * in CI (environment variable {@code CI} is {@code true}), where the Redis tests are
	 * mandatory, and abort the calling test (so that it is reported as skipped) anywhere
	 * else; without JUnit on the classpath, throw an {@link IllegalStateException}.
	 * @throws AssertionError in CI without the binary
	 * @throws org.opentest4j.TestAbortedException elsewhere without the binary
	 */
	public static void assumeAvailable() {
		assumeAvailable(findExecutable(), System.getenv("CI"));
	}

	static void assumeAvailable(@Nullable Path executable, @Nullable String ci) {
		assumeAvailable(executable, ci, JUNIT_PRESENT);
	}

	static void assumeAvailable(@Nullable Path executable, @Nullable String ci, boolean junit) {
		if (executable != null) {
			return;
		}
		if ("true".equals(ci)) {
			throw new AssertionError(MISSING_IN_CI);
		}
		if (junit) {
			JUnit.abort(MISSING);
		}
		throw new IllegalStateException(MISSING_WITHOUT_JUNIT);
	}

	/**
	 * Return the {@code redis-server} binary on the {@code PATH}, if any.
	 * @return the binary, or {@code null}
	 */
	public static @Nullable Path findExecutable() {
		String path = System.getenv("PATH");
		if (path == null) {
			return null;
		}
		for (String entry : path.split(File.pathSeparator)) {
			if (entry.isEmpty()) {
				continue;
			}
			try {
				Path candidate = Path.of(entry, EXECUTABLE);
				if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
					return candidate;
				}
			}
			catch (InvalidPathException ex) {
				// not a directory name: ignore it, as a shell would
			}
		}
		return null;
	}

	/**
	 * Return what a binary says its version is ({@code redis-server --version}).
	 * @param executable the binary
	 * @return its first line of output, or what went wrong
	 */
	public static String version(Path executable) {
		try {
			Process version = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
			String output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			waitForExit(version, EXIT_TIMEOUT);
			int end = output.indexOf('\n');
			return (end < 0) ? output : output.substring(0, end);
		}
		catch (IOException | IllegalStateException ex) {
			return "unknown (" + ex.getMessage() + ")";
		}
	}

	/**
	 * Return the port the server listens on; it stays the same across restarts.
	 * @return the port
	 * @throws IllegalStateException if the server has never been started
	 */
	public int port() {
		int current = this.port;
		if (current == 0) {
			throw notStarted();
		}
		return current;
	}

	/**
	 * Return the address the server listens on.
	 * @return {@code 127.0.0.1}
	 */
	public String host() {
		return HOST;
	}

	/**
	 * Return the server's data directory, which holds its log and the snapshot that
	 * {@link #save()} writes; it stays the same across restarts, and {@link #close()}
	 * deletes it.
	 * @return the directory
	 * @throws IllegalStateException if the server has never been started
	 */
	public Path directory() {
		Path current = this.directory;
		if (current == null) {
			throw notStarted();
		}
		return current;
	}

	/**
	 * Return whether the server process is alive (paused counts as alive).
	 * @return whether it is running
	 */
	public boolean isRunning() {
		Process current = this.process;
		return current != null && current.isAlive();
	}

	/**
	 * Stop the server cleanly with {@code SHUTDOWN NOSAVE} (resuming it first if it is
	 * paused) and wait for it to exit; kill it if it does not exit in time. The snapshot of
	 * the last {@link #save()} is left as it was. Does nothing if it is not running.
	 */
	public synchronized void stop() {
		Process current = this.process;
		if (current == null || !current.isAlive()) {
			return;
		}
		if (this.paused) {
			resume();
		}
		try {
			send(SOCKET_TIMEOUT, bytes("SHUTDOWN", "NOSAVE"));
		}
		catch (RuntimeException ex) {
			// expected: the server closes the connection without a reply
		}
		if (!waitForExit(current, EXIT_TIMEOUT)) {
			current.destroyForcibly();
			awaitExit(current);
		}
		exited(current);
	}

	/**
	 * Kill the server with {@code SIGKILL}, as a crash would, and wait for it to exit.
	 * Does nothing if it is not running.
	 */
	public synchronized void kill() {
		Process current = this.process;
		if (current == null) {
			return;
		}
		current.destroyForcibly();
		awaitExit(current);
		exited(current);
	}

	/**
	 * Pause the server with {@code SIGSTOP}: it keeps its port, and connections to it are
	 * still accepted by the operating system, but it answers nothing until
	 * {@link #resume() resumed}, like a hung server.
	 */
	public synchronized void pause() {
		signal("STOP");
		this.paused = true;
	}

	/**
	 * Resume a {@link #pause() paused} server with {@code SIGCONT}; it then answers the
	 * commands sent in the meantime.
	 */
	public synchronized void resume() {
		signal("CONT");
		this.paused = false;
	}

	/**
	 * Write a snapshot of everything the server holds now ({@code SAVE}), into its data
	 * directory: the next {@link #restart()} starts from it.
	 * @return the snapshot file
	 * @throws IllegalStateException if the server fails to save
	 * @throws UncheckedIOException if it cannot be reached, or does not finish within 30
	 * seconds
	 */
	public Path save() {
		expectOk("SAVE", send(SAVE_TIMEOUT, bytes("SAVE")));
		return directory().resolve(SNAPSHOT);
	}

	/**
	 * Start the server again, on the same port and data directory, after {@link #stop()}
	 * or {@link #kill()}, and wait until it answers {@code PING}. It starts from the
	 * snapshot of the last {@link #save()} if there was one, else empty: nothing else is
	 * persisted.
	 * @throws IllegalStateException if the server is running, or has never been started,
	 * or does not come up within 10 seconds
	 */
	public synchronized void restart() {
		if (this.port == 0) {
			throw notStarted();
		}
		launch();
	}

	/**
	 * Stop the server if it is running, and delete its data directory.
	 */
	@Override
	public synchronized void close() {
		try {
			stop();
		}
		finally {
			Process current = this.process;
			if (current != null && current.isAlive()) {
				current.destroyForcibly();
			}
			deleteDirectory();
		}
	}

	/**
	 * Send a command and return its reply, waiting at most 5 seconds.
	 * @param args the command and its arguments, e.g. {@code "SET", "k", "v"}
	 * @return the reply: a {@code String} for a simple or bulk string (as UTF-8), a
	 * {@code Long} for an integer, a {@code List} of such for an array, or {@code null}
	 * for a null bulk string or array
	 * @throws IllegalStateException if the server replies with an error
	 * @throws UncheckedIOException if the server cannot be reached, or does not reply in
	 * time
	 */
	public @Nullable Object command(String... args) {
		return command(SOCKET_TIMEOUT, args);
	}

	/**
	 * Send a command and return its reply, waiting at most the given time to connect and
	 * for the reply.
	 * @param timeout how long to wait
	 * @param args the command and its arguments
	 * @return the reply, as for {@link #command(String...)}
	 * @throws IllegalStateException if the server replies with an error
	 * @throws UncheckedIOException if the server cannot be reached, or does not reply in
	 * time (caused by a {@link java.net.SocketTimeoutException})
	 */
	public @Nullable Object command(Duration timeout, String... args) {
		return decode(send(timeout, bytes(args)));
	}

	/**
	 * Set a key to a binary value, without expiry.
	 * @param key the key
	 * @param value the value
	 */
	public void set(String key, byte[] value) {
		Object reply = send(SOCKET_TIMEOUT, new byte[][] { utf8("SET"), utf8(key), value });
		expectOk("SET", reply);
	}

	/**
	 * Return the value of a key.
	 * @param key the key
	 * @return the value, or {@code null} if there is no such key
	 */
	public byte @Nullable [] get(String key) {
		Object reply = send(SOCKET_TIMEOUT, bytes("GET", key));
		if (reply != null && !(reply instanceof byte[])) {
			throw new IllegalStateException("Unexpected reply to GET: " + decode(reply));
		}
		return (byte[]) reply;
	}

	/**
	 * Return the remaining time to live of a key, in milliseconds.
	 * @param key the key
	 * @return the time to live, {@code -1} for a key without expiry, {@code -2} for no key
	 */
	public long pttl(String key) {
		Object reply = send(SOCKET_TIMEOUT, bytes("PTTL", key));
		if (!(reply instanceof Long ttl)) {
			throw new IllegalStateException("Unexpected reply to PTTL: " + decode(reply));
		}
		return ttl;
	}

	/**
	 * Return the keys that match a pattern, in no particular order.
	 * @param pattern a glob-style pattern, e.g. {@code "cached:*"}
	 * @return the keys, as UTF-8
	 */
	public List<String> keys(String pattern) {
		Object reply = decode(send(SOCKET_TIMEOUT, bytes("KEYS", pattern)));
		if (!(reply instanceof List<?> list)) {
			throw new IllegalStateException("Unexpected reply to KEYS: " + reply);
		}
		List<String> keys = new ArrayList<>(list.size());
		for (Object key : list) {
			keys.add((String) key);
		}
		return keys;
	}

	/**
	 * Delete every key of every database.
	 */
	public void flushAll() {
		expectOk("FLUSHALL", send(SOCKET_TIMEOUT, bytes("FLUSHALL")));
	}

	@Override
	public String toString() {
		String where = (this.port != 0) ? HOST + ":" + this.port : "(never started)";
		String state = isRunning() ? (this.paused ? " (paused)" : " (running)") : " (not running)";
		return "RedisServer " + where + ((this.port != 0) ? state : "");
	}

	// the process

	/**
	 * Start the server and wait until it answers {@code PING}: the first time on a free
	 * port and in a new data directory (skipping or failing the calling test without a
	 * binary, see {@link #assumeAvailable()}), later on the same port and directory.
	 * {@link RedisServerExtension} starts its server through this method.
	 * @throws IllegalStateException if the server is running, or does not come up within
	 * 10 seconds
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

	private void launchFirst() {
		this.executable = resolveExecutable();
		if (this.directory == null) {
			try {
				this.directory = Files.createTempDirectory("redis-server-");
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot create a directory for redis-server", ex);
			}
		}
		for (int attempt = 1;; attempt++) {
			this.port = freePort();
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
		Path found = findExecutable();
		assumeAvailable(found, System.getenv("CI"));
		return found;
	}

	private void spawn() {
		Path binary = this.executable;
		if (binary == null) {
			throw notStarted();
		}
		Path dir = directory();
		Path log = dir.resolve("redis-server.log");
		List<String> command = new ArrayList<>(List.of(binary.toString(), "--port", String.valueOf(this.port), "--bind",
				HOST, "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", dir.toString(),
				"--dbfilename", SNAPSHOT));
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
		PROCESSES.add(started);
		this.process = started;
		this.paused = false;
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		// polling a process that starts (and may load a snapshot first): it answers within
		// tens of milliseconds, and an exit ends the wait at once
		while (!answersPing()) {
			if (!started.isAlive()) {
				awaitExit(started);
				exited(started);
				String output = logSince(log, logOffset);
				if (output.contains("Address already in use")) {
					throw new PortInUseException("port " + this.port + " is in use:\n" + output);
				}
				throw new IllegalStateException("redis-server on port " + this.port + " exited with code "
						+ started.exitValue() + " instead of starting; its log:\n" + output);
			}
			if (System.nanoTime() - deadline > 0) {
				started.destroyForcibly();
				awaitExit(started);
				exited(started);
				throw new IllegalStateException("redis-server on port " + this.port + " did not answer PING within "
						+ STARTUP_TIMEOUT.toSeconds() + " s; its log:\n" + logSince(log, logOffset));
			}
			LockSupport.parkNanos(POLL_INTERVAL.toNanos());
		}
	}

	private boolean answersPing() {
		try {
			return "PONG".equals(decode(send(PING_TIMEOUT, bytes("PING"))));
		}
		catch (RuntimeException ex) {
			// not listening yet, or still loading its snapshot
			return false;
		}
	}

	private void signal(String signal) {
		Process current = this.process;
		if (current == null || !current.isAlive()) {
			throw new IllegalStateException(describe() + " is not running");
		}
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(current.pid()))
				.redirectErrorStream(true)
				.start();
			String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!waitForExit(kill, EXIT_TIMEOUT) || kill.exitValue() != 0) {
				throw new IllegalStateException("kill -" + signal + " " + current.pid() + " failed: " + output);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot run kill -" + signal, ex);
		}
	}

	private static void awaitExit(Process process) {
		if (!waitForExit(process, EXIT_TIMEOUT)) {
			throw new IllegalStateException("Process " + process.pid() + " did not exit within "
					+ EXIT_TIMEOUT.toSeconds() + " s");
		}
	}

	private static boolean waitForExit(Process process, Duration timeout) {
		try {
			return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for process " + process.pid(), ex);
		}
	}

	private void exited(Process exited) {
		PROCESSES.remove(exited);
		this.paused = false;
	}

	private String describe() {
		return "redis-server on port " + this.port;
	}

	private static IllegalStateException notStarted() {
		return new IllegalStateException("redis-server has not been started");
	}

	private static int freePort() {
		while (true) {
			try (ServerSocket socket = new ServerSocket()) {
				socket.setReuseAddress(true);
				socket.bind(new InetSocketAddress(HOST, 0));
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

	private static String logSince(Path log, long offset) {
		try {
			byte[] content = Files.exists(log) ? Files.readAllBytes(log) : new byte[0];
			int from = (int) Math.max(Math.min(offset, content.length), content.length - LOG_TAIL);
			String text = new String(content, from, content.length - from, StandardCharsets.UTF_8);
			return text.isBlank() ? "(empty)" : text;
		}
		catch (IOException ex) {
			return "(cannot read " + log + ": " + ex + ")";
		}
	}

	private void deleteDirectory() {
		Path dir = this.directory;
		if (dir == null || !Files.exists(dir)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(dir)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			// a temporary directory: left for the operating system
		}
	}

	private static boolean isPresent(String className) {
		try {
			Class.forName(className, false, RedisServer.class.getClassLoader());
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	// the RESP client

	private @Nullable Object send(Duration timeout, byte[][] args) {
		int millis = (int) Math.max(1, timeout.toMillis());
		int current = port();
		try (Socket socket = new Socket()) {
			socket.setSoTimeout(millis);
			socket.connect(new InetSocketAddress(HOST, current), millis);
			OutputStream out = new BufferedOutputStream(socket.getOutputStream());
			out.write(utf8("*" + args.length + "\r\n"));
			for (byte[] arg : args) {
				out.write(utf8("$" + arg.length + "\r\n"));
				out.write(arg);
				out.write('\r');
				out.write('\n');
			}
			out.flush();
			return read(new BufferedInputStream(socket.getInputStream()), args);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("redis-server on port " + current + " did not answer "
					+ new String(args[0], StandardCharsets.UTF_8) + ": " + ex, ex);
		}
	}

	private static @Nullable Object read(InputStream in, byte[][] args) throws IOException {
		int type = in.read();
		if (type == -1) {
			throw new EOFException("connection closed without a reply");
		}
		String line = readLine(in);
		switch (type) {
			case '+':
				return line;
			case '-':
				throw new IllegalStateException("redis-server replied to " + new String(args[0], StandardCharsets.UTF_8)
						+ " with an error: " + line);
			case ':':
				return Long.parseLong(line);
			case '$': {
				int length = Integer.parseInt(line);
				if (length < 0) {
					return null;
				}
				byte[] data = in.readNBytes(length);
				if (data.length < length || in.read() != '\r' || in.read() != '\n') {
					throw new EOFException("truncated bulk string");
				}
				return data;
			}
			case '*': {
				int count = Integer.parseInt(line);
				if (count < 0) {
					return null;
				}
				List<@Nullable Object> elements = new ArrayList<>(count);
				for (int i = 0; i < count; i++) {
					elements.add(read(in, args));
				}
				return elements;
			}
			default:
				throw new IOException("Unexpected RESP reply type '" + (char) type + "'");
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		while (true) {
			int c = in.read();
			if (c == -1) {
				throw new EOFException("connection closed in the middle of a reply");
			}
			if (c == '\r') {
				if (in.read() != '\n') {
					throw new IOException("Malformed RESP line: " + line);
				}
				return line.toString();
			}
			line.append((char) c);
		}
	}

	private static @Nullable Object decode(@Nullable Object reply) {
		if (reply instanceof byte[] data) {
			return new String(data, StandardCharsets.UTF_8);
		}
		if (reply instanceof List<?> list) {
			List<@Nullable Object> decoded = new ArrayList<>(list.size());
			for (Object element : list) {
				decoded.add(decode(element));
			}
			return decoded;
		}
		return reply;
	}

	private static void expectOk(String command, @Nullable Object reply) {
		if (!"OK".equals(reply)) {
			throw new IllegalStateException("Unexpected reply to " + command + ": " + decode(reply));
		}
	}

	private static byte[][] bytes(String... args) {
		byte[][] bytes = new byte[args.length][];
		for (int i = 0; i < args.length; i++) {
			bytes[i] = utf8(args[i]);
		}
		return bytes;
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * The options of a server: which binary, and further command-line arguments.
	 */
	public static final class Builder {

		private @Nullable Path executable;

		private final List<String> arguments = new ArrayList<>();

		private Builder() {
		}

		/**
		 * Run this binary instead of {@code redis-server} on the {@code PATH}. A binary
		 * given that is not there fails the start (it is never a reason to skip).
		 * @param executable the {@code redis-server} binary
		 * @return this builder
		 */
		public Builder executable(Path executable) {
			this.executable = executable;
			return this;
		}

		/**
		 * Add command-line arguments, after the launcher's own: for instance
		 * {@code "--maxmemory", "10mb"}, or what a cluster node needs
		 * ({@code "--cluster-enabled", "yes"}; its {@code nodes.conf} goes to the data
		 * directory). Where Redis lets a later value win, these override the launcher's
		 * {@code --save ""}, {@code --appendonly no} and {@code --protected-mode no}.
		 * @param arguments the arguments, each option and each value an element
		 * @return this builder
		 * @throws IllegalArgumentException for {@code --port}, {@code --bind},
		 * {@code --dir} or {@code --dbfilename}, which the launcher sets itself
		 */
		public Builder arguments(String... arguments) {
			for (String argument : arguments) {
				if (OWN_OPTIONS.contains(argument)) {
					throw new IllegalArgumentException("The launcher sets " + argument + " itself; "
							+ "not an argument of " + Arrays.toString(arguments));
				}
			}
			this.arguments.addAll(Arrays.asList(arguments));
			return this;
		}

		/**
		 * Start a server with these options on a free port, as {@link RedisServer#start()}
		 * does.
		 * @return the running server
		 * @throws IllegalStateException if the server does not come up within 10 seconds;
		 * the message includes its log
		 */
		public RedisServer start() {
			RedisServer server = build();
			try {
				server.launch();
				return server;
			}
			catch (RuntimeException | Error ex) {
				server.close();
				throw ex;
			}
		}

		/**
		 * Return a server with these options that has not been started; see
		 * {@link RedisServerExtension}.
		 * @return the server
		 */
		RedisServer build() {
			return new RedisServer(this);
		}

	}

	/** The server could not bind its port. */
	private static final class PortInUseException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		PortInUseException(String message) {
			super(message);
		}

	}

	/** The one use of JUnit, in a class of its own: loaded only where JUnit is present. */
	private static final class JUnit {

		static void abort(String message) {
			Assumptions.abort(message);
		}

	}

}
