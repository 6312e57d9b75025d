package dev.cached.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import dev.cached.CachedCaches;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.engine.RemoteTier;
import dev.cached.redis.RedisKeyLayout;
import dev.cached.redis.RedisTier;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.AotDetector;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.ScanOptions;

/**
 * Two instances of the sample on one Redis, in one JVM: two application contexts, each
 * with its own Redis connections, its own local store and its own {@link RuleFileLoader}
 * counting its loads. Their calls race on a cold key of the remote cache
 * {@code RuleService.getAllRules}; then a clear on instance 1 reaches instance 2.
 * <p>
 * {@code java -jar cached-sample-app.jar demo-many [--calls=32]} runs it against the Redis
 * of {@code spring.data.redis.*} (default {@code localhost:6379}), under the key prefix
 * {@code cached:demo:}, and leaves no key behind. Its first line of output names that
 * Redis: address, version and run id. Exit codes: 0 if the rules were loaded
 * once in total and the clear reached the other instance, 1 if not, 2 for a bad option,
 * 3 if no Redis answers.
 */
public final class ManyInstancesDemo {

	/** The exit code when no Redis answers. */
	static final int NO_REDIS = 3;

	/** The prefix of the demo's keys and channel, apart from those of running instances. */
	static final String KEY_PREFIX = "cached:demo:";

	private static final String CACHE_NAME = StampedeDemo.CACHE_NAME;

	private static final String RULE_CACHE_NAME = "RuleService.getRule";

	private static final String FENCE_RULE = "R-001";

	private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

	private static final Duration PROPAGATION_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

	private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

	private final Instance first;

	private final Instance second;

	ManyInstancesDemo(Instance first, Instance second) {
		this.first = first;
		this.second = second;
	}

	/**
	 * Run the demo from the command line.
	 * @param args the arguments after {@code demo-many}: {@code --calls=N} and any
	 * property of the sample, e.g. {@code --spring.data.redis.port=6380}
	 * @param out where the report goes
	 * @param err where problems go
	 * @return the exit code
	 * @throws InterruptedException if this thread is interrupted while the demo runs
	 */
	static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
		if (AotDetector.useGeneratedArtifacts()) {
			err.println("demo-many: the Redis tier is off in this build: Spring's AOT step fixed "
					+ "cached.redis.enabled=false at build time (docs/aot.md); run it from a jar built without -Paot");
			return 2;
		}
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new SimpleCommandLinePropertySource(args));
		int calls = number(environment, "calls", 32);
		if (calls < 1) {
			throw new IllegalArgumentException("--calls must be at least 1, but was " + calls);
		}
		RedisAddress redis = RedisAddress.of(environment);
		RedisAddress.Probe probe = redis.probe();
		if (probe.problem() != null) {
			err.println("demo-many: no Redis answers at " + redis + " (" + probe.problem() + ").");
			err.println("The demo starts two instances of the sample on one Redis. Start one, for example:");
			err.println("  redis-server --port " + redis.port() + " --save '' --appendonly no");
			err.println("  (or: docker run --rm -p " + redis.port() + ":6379 redis:7)");
			err.println("or point the demo at yours: --spring.data.redis.host=<host> --spring.data.redis.port=<port>");
			return NO_REDIS;
		}
		// first, before any log line: on a shared machine, localhost:6379 may be anyone's
		out.println("demo-many: using the Redis at " + redis + " (" + probe.server() + "); another one: "
				+ "--spring.data.redis.host=<host> --spring.data.redis.port=<port>");
		out.flush();
		String[] instanceArgs = instanceArgs(args);
		try (ConfigurableApplicationContext one = start(instanceArgs);
				ConfigurableApplicationContext two = start(instanceArgs)) {
			ManyInstancesDemo demo = new ManyInstancesDemo(Instance.of("instance 1", one),
					Instance.of("instance 2", two));
			String keyPrefix = one.getEnvironment().getProperty("cached.redis.key-prefix", KEY_PREFIX);
			ManyInstancesReport report = demo.run(redis.toString(), keyPrefix, calls);
			two.close();
			removeKeys(one, keyPrefix);
			out.print(report.format());
			return report.ok() ? 0 : 1;
		}
	}

	/**
	 * Leave nothing in Redis: a clear leaves the entries of the cache's older generation to
	 * their ttl, and each cache keeps its version in a hash of its own. With instance 2
	 * closed and the tier of instance 1 stopped, nothing writes them again: the keys of the
	 * demo's two caches are deleted.
	 */
	private static void removeKeys(ConfigurableApplicationContext context, String keyPrefix) {
		context.getBean(RedisTier.class).stop();
		try (RedisConnection connection = context.getBean(RedisConnectionFactory.class).getConnection()) {
			for (String cache : List.of(CACHE_NAME, RULE_CACHE_NAME)) {
				// the cache's meta hash, and every key of its buckets
				List<byte[]> keys = new ArrayList<>();
				keys.add(RedisKeyLayout.meta(keyPrefix, cache).getBytes(StandardCharsets.UTF_8));
				ScanOptions options = ScanOptions.scanOptions()
					.match(RedisKeyLayout.bucketsPattern(keyPrefix, cache))
					.count(1000)
					.build();
				try (Cursor<byte[]> cursor = connection.keyCommands().scan(options)) {
					cursor.forEachRemaining(keys::add);
				}
				if (!keys.isEmpty()) {
					connection.keyCommands().del(keys.toArray(new byte[0][]));
				}
			}
		}
	}

	private static String[] instanceArgs(String[] args) {
		// application.yml switches the tier off; the command line is the one place that wins
		List<String> instanceArgs = new ArrayList<>();
		for (String arg : Arrays.asList(args).subList(Math.min(1, args.length), args.length)) {
			if (!arg.startsWith("--cached.redis.enabled")) {
				instanceArgs.add(arg);
			}
		}
		instanceArgs.add("--cached.redis.enabled=true");
		return instanceArgs.toArray(String[]::new);
	}

	private static ConfigurableApplicationContext start(String[] args) {
		SpringApplication application = new SpringApplication(SampleApplication.class);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setDefaultProperties(Map.of("rules.preload", "false", "cached.redis.key-prefix", KEY_PREFIX));
		return application.run(args);
	}

	/**
	 * Race {@code calls} threads on each instance on a cold key, then clear the cache on
	 * instance 1 and watch instance 2.
	 * @param redis where Redis is, for the report
	 * @param keyPrefix the key prefix, for the report
	 * @param calls the number of concurrent calls on each instance
	 * @return what happened
	 * @throws InterruptedException if this thread is interrupted
	 */
	ManyInstancesReport run(String redis, String keyPrefix, int calls) throws InterruptedException {
		warmUp();
		Race race = race(calls);
		ManyInstancesReport.Invalidation invalidation = invalidate();
		// leave nothing to read in Redis (its keys are deleted once the instances stop)
		this.first.caches().getCache(CACHE_NAME).invalidateAll();
		return new ManyInstancesReport(redis, keyPrefix, calls, race.first(), race.second(), invalidation);
	}

	/**
	 * Both instances listen to the channel and answer through Redis: instance 1 loads and
	 * writes, instance 2 reads that value. Then the cache is cleared everywhere, so the race
	 * starts cold, and neither instance pays for its first connection, class loading or its
	 * first JSON mapping during it.
	 */
	private void warmUp() {
		long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
		awaitOrFail(() -> this.first.subscribed() && this.second.subscribed(), deadline,
				"Both instances did not subscribe to Redis");
		while (true) {
			clearEverywhere();
			long writes = this.first.remote().writes();
			long hits = this.second.remote().hits();
			this.first.service().getAllRules();
			this.second.service().getAllRules();
			if (this.first.remote().writes() > writes && this.second.remote().hits() > hits) {
				break;
			}
			if (System.nanoTime() - deadline > 0) {
				throw new IllegalStateException("Redis did not answer both instances within "
						+ READY_TIMEOUT.toSeconds() + " s: " + this.first.status() + ", " + this.second.status());
			}
			// an instance that has just met an outage calls Redis again after retry-after
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
		}
		clearEverywhere();
	}

	private void clearEverywhere() {
		this.first.caches().getCache(CACHE_NAME).invalidateAll();
		// messages arrive in the order they were sent: once a later one has arrived, the
		// clear has too, and no message from before the race can arrive during it
		this.second.service().getRule(FENCE_RULE);
		this.first.caches().getCache(RULE_CACHE_NAME).invalidate(FENCE_RULE);
		awaitOrFail(() -> !this.second.caches().getCache(RULE_CACHE_NAME).contains(FENCE_RULE),
				System.nanoTime() + PROPAGATION_TIMEOUT.toNanos(), "An invalidation did not reach instance 2 within "
						+ PROPAGATION_TIMEOUT.toSeconds() + " s: " + this.second.status());
		if (this.first.holdsRules() || this.second.holdsRules()) {
			throw new IllegalStateException("The clear did not reach instance 2: " + this.second.status());
		}
	}

	private static void awaitOrFail(BooleanSupplier condition, long deadline, String message) {
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() - deadline > 0) {
				throw new IllegalStateException(message);
			}
			LockSupport.parkNanos(POLL_NANOS);
		}
	}

	private Race race(int calls) throws InterruptedException {
		Snapshot first = new Snapshot(this.first);
		Snapshot second = new Snapshot(this.second);
		CyclicBarrier barrier = new CyclicBarrier(2 * calls);
		long[] arrived = new long[2 * calls];
		long[] done = new long[2 * calls];
		AtomicReference<Throwable> failure = new AtomicReference<>();
		Thread[] threads = new Thread[2 * calls];
		for (int i = 0; i < 2 * calls; i++) {
			int index = i;
			Instance instance = (i % 2 == 0) ? this.first : this.second;
			threads[i] = new Thread(() -> {
				try {
					barrier.await();
					arrived[index] = System.nanoTime();
					instance.service().getAllRules();
					done[index] = System.nanoTime();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					failure.compareAndSet(null, ex);
				}
				catch (BrokenBarrierException | RuntimeException | Error ex) {
					failure.compareAndSet(null, ex);
				}
			}, String.format("i%d-call-%02d", (i % 2) + 1, (i / 2) + 1));
			threads[i].start();
		}
		for (Thread thread : threads) {
			thread.join(TimeUnit.MINUTES.toMillis(1));
			if (thread.isAlive()) {
				throw new IllegalStateException(thread.getName() + " did not finish within a minute");
			}
		}
		if (failure.get() != null) {
			throw new IllegalStateException("A call failed: " + failure.get(), failure.get());
		}
		long start = Arrays.stream(arrived).min().orElse(0);
		long firstEnd = Long.MIN_VALUE;
		long secondEnd = Long.MIN_VALUE;
		for (int i = 0; i < 2 * calls; i++) {
			if (i % 2 == 0) {
				firstEnd = Math.max(firstEnd, done[i]);
			}
			else {
				secondEnd = Math.max(secondEnd, done[i]);
			}
		}
		return new Race(first.run(firstEnd - start), second.run(secondEnd - start));
	}

	private ManyInstancesReport.Invalidation invalidate() {
		long start = System.nanoTime();
		this.first.caches().getCache(CACHE_NAME).invalidateAll();
		long deadline = start + PROPAGATION_TIMEOUT.toNanos();
		while (this.second.holdsRules() && System.nanoTime() - deadline < 0) {
			LockSupport.parkNanos(POLL_NANOS);
		}
		long propagation = System.nanoTime() - start;
		boolean reached = !this.second.holdsRules();
		long secondLoads = this.second.loader().loads();
		this.second.service().getAllRules();
		secondLoads = this.second.loader().loads() - secondLoads;
		long firstLoads = this.first.loader().loads();
		this.first.service().getAllRules();
		firstLoads = this.first.loader().loads() - firstLoads;
		return new ManyInstancesReport.Invalidation(reached, propagation, secondLoads, firstLoads);
	}

	private static int number(StandardEnvironment environment, String option, int defaultValue) {
		String value = environment.getProperty(option, String.valueOf(defaultValue));
		try {
			return Integer.parseInt(value.trim());
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("--" + option + " must be a whole number, but was '" + value + "'");
		}
	}

	/**
	 * One instance: an application context of the sample.
	 */
	record Instance(String name, RuleService service, RuleFileLoader loader, CachedCaches caches, CachedCache cache,
			RemoteTier tier) {

		static Instance of(String name, ConfigurableApplicationContext context) {
			CacheRegistry registry = context.getBean(CacheRegistry.class);
			CachedCache cache = registry.getCache(CACHE_NAME);
			RemoteTier tier = registry.getRemoteTier();
			if (cache == null || tier == null || !cache.isRemoteActive()) {
				throw new IllegalStateException(name + ": cache '" + CACHE_NAME + "' is not on the Redis tier; "
						+ "is cached.caches.[" + CACHE_NAME + "].remote false?");
			}
			return new Instance(name, context.getBean(RuleService.class), context.getBean(RuleFileLoader.class),
					context.getBean(CachedCaches.class), cache, tier);
		}

		boolean subscribed() {
			return Boolean.TRUE.equals(this.tier.status().get("subscribed"));
		}

		Map<String, Object> status() {
			return this.tier.status();
		}

		RemoteStatistics remote() {
			return this.cache.getRemoteStatistics();
		}

		boolean holdsRules() {
			return this.caches.getCache(CACHE_NAME).contains(CachedCaches.key());
		}

	}

	/** The counters of one instance before the race. */
	private static final class Snapshot {

		private final Instance instance;

		private final long loads;

		private final long fileReads;

		private final long hits;

		private final long misses;

		private final long coalesced;

		private final long remoteHits;

		private final long remoteMisses;

		private final long remoteWrites;

		private final long remoteErrors;

		Snapshot(Instance instance) {
			this.instance = instance;
			CacheStatistics stats = instance.cache().getStatistics();
			RemoteStatistics remote = instance.remote();
			this.loads = instance.loader().loads();
			this.fileReads = instance.loader().fileReads();
			this.hits = stats.hits();
			this.misses = stats.misses();
			this.coalesced = stats.coalesced();
			this.remoteHits = remote.hits();
			this.remoteMisses = remote.misses();
			this.remoteWrites = remote.writes();
			this.remoteErrors = remote.errors();
		}

		ManyInstancesReport.Run run(long wallNanos) {
			CacheStatistics stats = this.instance.cache().getStatistics();
			RemoteStatistics remote = this.instance.remote();
			return new ManyInstancesReport.Run(this.instance.loader().loads() - this.loads,
					this.instance.loader().fileReads() - this.fileReads, stats.hits() - this.hits,
					stats.misses() - this.misses, stats.coalesced() - this.coalesced, remote.hits() - this.remoteHits,
					remote.misses() - this.remoteMisses, remote.writes() - this.remoteWrites,
					remote.errors() - this.remoteErrors, wallNanos);
		}

	}

	private record Race(ManyInstancesReport.Run first, ManyInstancesReport.Run second) {
	}

	/**
	 * Where the instances find Redis: {@code spring.data.redis.url}, or
	 * {@code spring.data.redis.host} and {@code port}, as Spring Boot reads them.
	 */
	record RedisAddress(String host, int port, boolean ssl) {

		static RedisAddress of(StandardEnvironment environment) {
			String url = environment.getProperty("spring.data.redis.url");
			if (url != null && !url.isBlank()) {
				URI uri = URI.create(url.trim());
				return new RedisAddress((uri.getHost() != null) ? uri.getHost() : "localhost",
						(uri.getPort() > 0) ? uri.getPort() : 6379, "rediss".equals(uri.getScheme()));
			}
			String port = environment.getProperty("spring.data.redis.port", "6379");
			try {
				return new RedisAddress(environment.getProperty("spring.data.redis.host", "localhost"),
						Integer.parseInt(port.trim()),
						environment.getProperty("spring.data.redis.ssl.enabled", Boolean.class, false));
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException("--spring.data.redis.port must be a port number, but was '"
						+ port + "'");
			}
		}

		/**
		 * Connect and ask the server who it is ({@code INFO server}).
		 * @return what answered: a problem if no Redis server did, else the server's
		 * version and run id when it told them
		 */
		Probe probe() {
			int millis = (int) PING_TIMEOUT.toMillis();
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(this.host, this.port), millis);
				if (this.ssl) {
					return Probe.server("TLS; server version not read");
				}
				socket.setSoTimeout(millis);
				OutputStream out = socket.getOutputStream();
				out.write("INFO server\r\n".getBytes(StandardCharsets.US_ASCII));
				out.flush();
				InputStream in = socket.getInputStream();
				int type = in.read();
				String line = readLine(in);
				if (type == '-') {
					// -NOAUTH, -NOPERM: a Redis server, which does not tell us more
					return Probe.server("server version not read: " + line);
				}
				if (type != '$') {
					return Probe.problem("no Redis reply to INFO");
				}
				String info = new String(in.readNBytes(Integer.parseInt(line)), StandardCharsets.UTF_8);
				return Probe.server("redis_version " + field(info, "redis_version") + ", run_id "
						+ field(info, "run_id"));
			}
			catch (IOException ex) {
				return Probe.problem((ex.getMessage() != null) ? ex.getMessage() : ex.getClass().getSimpleName());
			}
			catch (NumberFormatException ex) {
				return Probe.problem("no Redis reply to INFO");
			}
		}

		private static String readLine(InputStream in) throws IOException {
			StringBuilder line = new StringBuilder();
			for (int c = in.read(); c != '\r' && c != -1; c = in.read()) {
				line.append((char) c);
			}
			in.read(); // '\n'
			return line.toString();
		}

		private static String field(String info, String name) {
			for (String line : info.split("\r?\n")) {
				if (line.startsWith(name + ":")) {
					return line.substring(name.length() + 1).trim();
				}
			}
			return "unknown";
		}

		/**
		 * What answered at a Redis address.
		 *
		 * @param problem why no Redis server answered, or {@code null} if one did
		 * @param server what the server said of itself, e.g.
		 * {@code redis_version 7.0.15, run_id 6b2f...}
		 */
		record Probe(@Nullable String problem, String server) {

			static Probe problem(String problem) {
				return new Probe(problem, "");
			}

			static Probe server(String server) {
				return new Probe(null, server);
			}

		}

		@Override
		public String toString() {
			return this.host + ":" + this.port;
		}

	}

}
