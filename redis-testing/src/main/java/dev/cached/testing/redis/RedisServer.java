package dev.cached.testing.redis;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

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
public final class RedisServer extends ServerCommands implements AutoCloseable {

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

	private static final Duration SAVE_TIMEOUT = Duration.ofSeconds(30);

	/** The process, its port and its data directory. */
	private final ServerProcess server;

	private RedisServer(Builder builder) {
		this.server = new ServerProcess(builder.executable, builder.arguments, builder.sentinelConfig);
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
		assumeAvailable(executable, ci, Binaries.JUNIT_PRESENT);
	}

	static void assumeAvailable(@Nullable Path executable, @Nullable String ci, boolean junit) {
		Binaries.require(executable, ci, junit, MISSING_IN_CI, MISSING, MISSING_WITHOUT_JUNIT);
	}

	/**
	 * Return the {@code redis-server} binary on the {@code PATH}, if any.
	 * @return the binary, or {@code null}
	 */
	public static @Nullable Path findExecutable() {
		return Binaries.find(EXECUTABLE);
	}

	/**
	 * Return what a binary says its version is ({@code redis-server --version}).
	 * @param executable the binary
	 * @return its first line of output, or what went wrong
	 */
	public static String version(Path executable) {
		return Binaries.version(executable);
	}

	/**
	 * Return the port the server listens on; it stays the same across restarts.
	 * @return the port
	 * @throws IllegalStateException if the server has never been started
	 */
	public int port() {
		int current = this.server.port();
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
		Path current = this.server.directory();
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
		return this.server.isRunning();
	}

	/**
	 * Stop the server cleanly with {@code SHUTDOWN NOSAVE} (resuming it first if it is
	 * paused) and wait for it to exit; kill it if it does not exit in time. The snapshot of
	 * the last {@link #save()} is left as it was. Does nothing if it is not running.
	 */
	public void stop() {
		this.server.stop();
	}

	/**
	 * Kill the server with {@code SIGKILL}, as a crash would, and wait for it to exit.
	 * Does nothing if it is not running.
	 */
	public void kill() {
		this.server.kill();
	}

	/**
	 * Pause the server with {@code SIGSTOP}: it keeps its port, and connections to it are
	 * still accepted by the operating system, but it answers nothing until
	 * {@link #resume() resumed}, like a hung server.
	 */
	public void pause() {
		this.server.pause();
	}

	/**
	 * Resume a {@link #pause() paused} server with {@code SIGCONT}; it then answers the
	 * commands sent in the meantime.
	 */
	public void resume() {
		this.server.resume();
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
		Resp.expectOk("SAVE", Resp.send(port(), SAVE_TIMEOUT, Resp.bytes("SAVE")));
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
	public void restart() {
		if (this.server.port() == 0) {
			throw notStarted();
		}
		this.server.launch();
	}

	/**
	 * Stop the server if it is running, and delete its data directory.
	 */
	@Override
	public void close() {
		this.server.close();
	}

	@Override
	public String toString() {
		int port = this.server.port();
		String where = (port != 0) ? HOST + ":" + port : "(never started)";
		String state = isRunning() ? (this.server.isPaused() ? " (paused)" : " (running)") : " (not running)";
		return "RedisServer " + where + ((port != 0) ? state : "");
	}

	/**
	 * Start the server and wait until it answers {@code PING}: the first time on a free
	 * port and in a new data directory (skipping or failing the calling test without a
	 * binary, see {@link #assumeAvailable()}), later on the same port and directory.
	 * {@link RedisServerExtension} starts its server through this method.
	 * @throws IllegalStateException if the server is running, or does not come up within
	 * 10 seconds
	 */
	void launch() {
		this.server.launch();
	}

	/**
	 * Return whether the server is {@link #pause() paused}: alive, but answering nothing.
	 * @return whether it is paused
	 */
	public boolean isPaused() {
		return this.server.isPaused();
	}

	/** The server's log, in its data directory. */
	Path log() {
		return directory().resolve(ServerProcess.LOG);
	}

	private static IllegalStateException notStarted() {
		return new IllegalStateException("redis-server has not been started");
	}

	/**
	 * The options of a server: which binary, and further command-line arguments.
	 */
	public static final class Builder {

		private @Nullable Path executable;

		private final List<String> arguments = new ArrayList<>();

		private @Nullable List<String> sentinelConfig;

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
		 * Run a sentinel ({@code redis-server <file> --sentinel}) instead of a data
		 * server, with a configuration file of these lines written in its data directory
		 * at the first start (the sentinel then rewrites it as it learns the topology).
		 * @param config the lines, e.g. {@code "sentinel monitor ..."}
		 * @return this builder
		 */
		Builder sentinel(List<String> config) {
			this.sentinelConfig = List.copyOf(config);
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

}
