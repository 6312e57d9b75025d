package dev.cached.benchmarks;

import java.util.concurrent.atomic.LongAdder;

import dev.cached.Cached;

/**
 * The {@code @Cached} variants. Each body counts its executions in {@link Executions}, so
 * that the sanity pass can prove that a variant caches.
 */
public class CachedService {

	static final String BY_ID = "@Cached byId(long)";

	static final String BY_ID_KEY = "@Cached(key = \"#id\") byIdKey(long)";

	static final String BY_NAME_AND_NUMBER = "@Cached byNameAndNumber(String, int)";

	static final String NO_ARGUMENT = "@Cached noArgument()";

	static final String MISS = "@Cached miss(long)";

	static final String SLOW = "@Cached slow(long)";

	static final String ENTRY = "@Cached entry(long)";

	private final LongAdder byId = Executions.counter(BY_ID);

	private final LongAdder byIdKey = Executions.counter(BY_ID_KEY);

	private final LongAdder byNameAndNumber = Executions.counter(BY_NAME_AND_NUMBER);

	private final LongAdder noArgument = Executions.counter(NO_ARGUMENT);

	private final LongAdder miss = Executions.counter(MISS);

	private final LongAdder slow = Executions.counter(SLOW);

	private final LongAdder entry = Executions.counter(ENTRY);

	/**
	 * Default key, one {@code long}: the key is the boxed argument.
	 * @param id the key
	 * @return its value
	 */
	@Cached
	public String byId(long id) {
		this.byId.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * {@code key = "#id"}: the same key as the default one.
	 * @param id the key
	 * @return its value
	 */
	@Cached(key = "#id")
	public String byIdKey(long id) {
		this.byIdKey.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * Default key on two arguments: a composite key.
	 * @param name the first part
	 * @param number the second part
	 * @return its value
	 */
	@Cached
	public String byNameAndNumber(String name, int number) {
		this.byNameAndNumber.increment();
		return Keys.VALUES[number & Keys.MASK];
	}

	/**
	 * No arguments: one entry.
	 * @return the value
	 */
	@Cached
	public String noArgument() {
		this.noArgument.increment();
		return Keys.VALUES[0];
	}

	/**
	 * The miss path: a cheap body, called with unique keys.
	 * @param id the key
	 * @return its value
	 */
	@Cached
	public String miss(long id) {
		this.miss.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * The stampede: a body that takes {@link Stampede#BODY_MILLIS}.
	 * @param id the key
	 * @return its value
	 * @throws InterruptedException if interrupted while working
	 */
	@Cached
	public String slow(long id) throws InterruptedException {
		this.slow.increment();
		Thread.sleep(Stampede.BODY_MILLIS);
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * The heap harness: a new 32-character value per key.
	 * @param id the key
	 * @return a new value
	 */
	@Cached
	public String entry(long id) {
		this.entry.increment();
		return Keys.value(id);
	}

}
