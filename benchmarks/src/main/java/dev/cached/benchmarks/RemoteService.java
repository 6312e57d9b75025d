package dev.cached.benchmarks;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.cached.Cached;

/**
 * The {@code @Cached} methods of the Redis benchmarks, in the application of
 * {@link RedisBenchmarkApplication}. Each body counts its executions in
 * {@link Executions}; the counters are static, so with several instances (application
 * contexts) in one JVM they count the executions of all of them.
 */
public class RemoteService {

	static final String SLOW = "@Cached remote slow(long)";

	static final String PAYLOAD = "@Cached(key = \"#id\") remote payload(long)";

	static final String LOCAL_ONLY = "@Cached(key = \"#id\") localOnly(long)";

	/** The cache names, the default ones ({@code <class>.<method>}). */
	static final String SLOW_CACHE = "RemoteService.slow";

	static final String PAYLOAD_CACHE = "RemoteService.payload";

	static final String LOCAL_ONLY_CACHE = "RemoteService.localOnly";

	/** The cache of {@link #data(long)}, remote where {@link Staleness} runs. */
	static final String DATA_CACHE = "RemoteService.data";

	/**
	 * The version of the data behind {@link #data(long)}, shared by every instance of the
	 * JVM as a database would be: a harness raises it, then invalidates.
	 */
	static final AtomicLong DATA_VERSION = new AtomicLong();

	/**
	 * When the last execution of {@link #slow(long)} ended ({@link System#nanoTime()},
	 * taken as the last thing the body does).
	 */
	static volatile long slowLoadEnd;

	private final LongAdder slow = Executions.counter(SLOW);

	/** This instance's own executions of {@link #slow(long)}: which instance led a round. */
	private final LongAdder slowHere = new LongAdder();

	private final LongAdder payload = Executions.counter(PAYLOAD);

	private final LongAdder localOnly = Executions.counter(LOCAL_ONLY);

	/**
	 * The stampede across instances: a body that takes {@link Stampede#BODY_MILLIS} and
	 * records when it ended, in a remote cache.
	 * @param id the key
	 * @return its value
	 * @throws InterruptedException if interrupted while working
	 */
	@Cached
	public String slow(long id) throws InterruptedException {
		this.slow.increment();
		this.slowHere.increment();
		Thread.sleep(Stampede.BODY_MILLIS);
		String value = Keys.VALUES[(int) id & Keys.MASK];
		slowLoadEnd = System.nanoTime();
		return value;
	}

	/**
	 * Return how often this instance ran {@link #slow(long)}.
	 * @return the executions here
	 */
	public long slowExecutionsHere() {
		return this.slowHere.sum();
	}

	/**
	 * A remote cache of the 32-character values: its Redis entries hold the JSON string,
	 * 34 bytes.
	 * @param id the key
	 * @return its value
	 */
	@Cached(key = "#id")
	public String payload(long id) {
		this.payload.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * A cache that is not remote: its invalidations still reach every instance.
	 * @param id the key
	 * @return its value
	 */
	@Cached(key = "#id")
	public String localOnly(long id) {
		this.localOnly.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * Data that changes: the key and the version of the data when the body ran, as
	 * {@code <id>@<version>}; a value whose version is older than
	 * {@link #DATA_VERSION} is one that an invalidation should have removed.
	 * @param id the key
	 * @return its value
	 */
	@Cached(key = "#id")
	public String data(long id) {
		return id + "@" + DATA_VERSION.get();
	}

}
