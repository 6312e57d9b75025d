package dev.cached.testing;

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
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} process that a test starts for itself, on a free port of
 * {@code 127.0.0.1} (never the default 6379, which may belong to a Redis the tests must
 * not touch), without persistence. It can be stopped, killed, paused and restarted on
 * the same port, to test how the code under test copes with a Redis that goes away or
 * hangs, and it has a tiny RESP client of its own, independent of Lettuce, to look at or
 * change what the server holds.
 * <p>
 * Typical use:
 * <pre class="code">
 * try (RedisServer redis = RedisServer.start()) {
 * 	// point the application at redis.host() and redis.port()
 * 	assertThat(redis.keys("*")).hasSize(1);
 * }
 * </pre>
 * The binary is looked up on the {@code PATH}. Without it, {@link #start()} skips the
 * test, except in CI (environment variable {@code CI=true}) where it fails it: see
 * {@link #assumeAvailable()}. A JVM shutdown hook kills every server still running, so
 * none survives the test JVM.
 */
public final class RedisServer implements AutoCloseable {

	/** The name of the binary looked up on the {@code PATH}. */
	public static final String EXECUTABLE = "redis-server";

	static final String MISSING_IN_CI = "redis-server is required in CI (.ci/run installs it with apt-get)";

	static final String MISSING = "redis-server not found on PATH: these tests need a Redis server binary; "
			+ "install it (e.g. apt-get install redis-server, brew install redis) or they are skipped";

	private static final String HOST = "127.0.0.1";

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration PING_TIMEOUT = Duration.ofMillis(500);

	private static final Duration BIND_RETRY_DELAY = Duration.ofMillis(100);

	private static final int START_ATTEMPTS = 3;

	private static final int LOG_TAIL = 8000;

	private static final Set<Process> PROCESSES = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> PROCESSES.forEach(Process::destroyForcibly), "redis-server-reaper"));
	}

	private final Path executable;

	private final int port;

	private final Path directory;

	private final Path log;

	private volatile @Nullable Process process;

	private volatile boolean paused;

	private RedisServer(Path executable, int port) {
		this.executable = executable;
		this.port = port;
		try {
			this.directory = Files.createTempDirectory("redis-server-" + port + "-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot create a directory for redis-server", ex);
		}
		this.log = this.directory.resolve("redis-server.log");
	}

	/**
	 * Start a server on a free port and wait until it answers {@code PING}. Skips the
	 * calling test, or fails it in CI, when there is no {@code redis-server} on the
	 * {@code PATH}.
	 * @return the running server
	 * @throws AssertionError if the server does not come up within 10 seconds; the
	 * message includes its log
	 */
	public static RedisServer start() {
		assumeAvailable();
		Path executable = findExecutable();
		if (executable == null) {
			throw new AssertionError(MISSING);
		}
		for (int attempt = 1;; attempt++) {
			RedisServer server = new RedisServer(executable, freePort());
			try {
				server.launch();
				return server;
			}
			catch (PortInUseException ex) {
				// another process took the free port in the meantime: try another one
				server.close();
				if (attempt == START_ATTEMPTS) {
					throw new AssertionError("redis-server found no free port in " + START_ATTEMPTS + " attempts: "
							+ ex.getMessage());
				}
			}
			catch (RuntimeException | Error ex) {
				server.close();
				throw ex;
			}
		}
	}

	/**
	 * Check that a {@code redis-server} binary is on the {@code PATH}. Without one, fail
	 * in CI (environment variable {@code CI} is {@code true}), where the Redis tests are
	 * mandatory, and abort the calling test (so that it is reported as skipped) anywhere
	 * else.
	 * @throws AssertionError in CI without the binary
	 * @throws org.opentest4j.TestAbortedException elsewhere without the binary
	 */
	public static void assumeAvailable() {
		assumeAvailable(findExecutable(), System.getenv("CI"));
	}

	static void assumeAvailable(@Nullable Path executable, @Nullable String ci) {
		if (executable != null) {
			return;
		}
		if ("true".equals(ci)) {
			throw new AssertionError(MISSING_IN_CI);
		}
		Assumptions.abort(MISSING);
	}

	/**
	 * Return the {@code redis-server} binary on the {@code PATH}, if any.
	 * @return the binary, or {@code null}
	 */
	static @Nullable Path findExecutable() {
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
	 * Return the port the server listens on; it stays the same across restarts.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Return the address the server listens on.
	 * @return {@code 127.0.0.1}
	 */
	public String host() {
		return HOST;
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
	 * paused) and wait for it to exit; kill it if it does not exit in time. Does nothing
	 * if it is not running.
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
	 * Start the server again, on the same port, after {@link #stop()} or {@link #kill()},
	 * and wait until it answers {@code PING}. It starts empty: nothing is persisted.
	 * @throws IllegalStateException if the server is running
	 * @throws AssertionError if it does not come up within 10 seconds
	 */
	public synchronized void restart() {
		if (isRunning()) {
			throw new IllegalStateException("redis-server on port " + this.port + " is running: stop() or kill() it "
					+ "before restart()");
		}
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (true) {
			try {
				launch();
				return;
			}
			catch (PortInUseException ex) {
				if (System.nanoTime() - deadline > 0) {
					throw new AssertionError("redis-server could not bind port " + this.port + " again within "
							+ STARTUP_TIMEOUT.toSeconds() + " s: " + ex.getMessage());
				}
				// the old sockets are still being torn down: back off briefly, then bind again
				LockSupport.parkNanos(BIND_RETRY_DELAY.toNanos());
			}
		}
	}

	/**
	 * Stop the server if it is running, and delete its directory.
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
		return "RedisServer " + HOST + ":" + this.port + (isRunning() ? (this.paused ? " (paused)" : " (running)")
				: " (not running)");
	}

	// the process

	private void launch() {
		long logOffset = logSize();
		ProcessBuilder builder = new ProcessBuilder(this.executable.toString(), "--port", String.valueOf(this.port),
				"--bind", HOST, "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir",
				this.directory.toString())
			.directory(this.directory.toFile())
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(this.log.toFile()));
		Process started;
		try {
			Files.createDirectories(this.directory);
			started = builder.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + this.executable, ex);
		}
		PROCESSES.add(started);
		this.process = started;
		this.paused = false;
		try {
			Awaits.await()
				.atMost(STARTUP_TIMEOUT)
				.pollInterval(Duration.ofMillis(20))
				.failFast("redis-server exited", () -> !started.isAlive())
				.until(this::answersPing);
		}
		catch (TerminalFailureException ex) {
			awaitExit(started);
			exited(started);
			String output = logSince(logOffset);
			if (output.contains("Address already in use")) {
				throw new PortInUseException("port " + this.port + " is in use:\n" + output);
			}
			throw new AssertionError("redis-server on port " + this.port + " exited with code " + started.exitValue()
					+ " instead of starting; its log:\n" + output);
		}
		catch (ConditionTimeoutException ex) {
			started.destroyForcibly();
			awaitExit(started);
			exited(started);
			throw new AssertionError("redis-server on port " + this.port + " did not answer PING within "
					+ STARTUP_TIMEOUT.toSeconds() + " s; its log:\n" + logSince(logOffset));
		}
	}

	private boolean answersPing() {
		try {
			return "PONG".equals(decode(send(PING_TIMEOUT, bytes("PING"))));
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	private void signal(String signal) {
		Process current = this.process;
		if (current == null || !current.isAlive()) {
			throw new IllegalStateException("redis-server on port " + this.port + " is not running");
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
			throw new AssertionError("Process " + process.pid() + " did not exit within " + EXIT_TIMEOUT.toSeconds()
					+ " s");
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

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot find a free port", ex);
		}
	}

	private long logSize() {
		try {
			return Files.exists(this.log) ? Files.size(this.log) : 0;
		}
		catch (IOException ex) {
			return 0;
		}
	}

	private String logSince(long offset) {
		try {
			byte[] content = Files.exists(this.log) ? Files.readAllBytes(this.log) : new byte[0];
			int from = (int) Math.max(Math.min(offset, content.length), content.length - LOG_TAIL);
			String text = new String(content, from, content.length - from, StandardCharsets.UTF_8);
			return text.isBlank() ? "(empty)" : text;
		}
		catch (IOException ex) {
			return "(cannot read " + this.log + ": " + ex + ")";
		}
	}

	private void deleteDirectory() {
		if (!Files.exists(this.directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(this.directory)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			// a temporary directory: left for the operating system
		}
	}

	// the RESP client

	private @Nullable Object send(Duration timeout, byte[][] args) {
		int millis = (int) Math.max(1, timeout.toMillis());
		try (Socket socket = new Socket()) {
			socket.setSoTimeout(millis);
			socket.connect(new InetSocketAddress(HOST, this.port), millis);
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
			throw new UncheckedIOException("redis-server on port " + this.port + " did not answer "
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

	/** The server could not bind its port. */
	private static final class PortInUseException extends RuntimeException {

		private static final long serialVersionUID = 1L;

		PortInUseException(String message) {
			super(message);
		}

	}

}
