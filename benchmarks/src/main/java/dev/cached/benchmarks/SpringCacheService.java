package dev.cached.benchmarks;

import java.util.concurrent.atomic.LongAdder;

import org.springframework.cache.annotation.Cacheable;

/**
 * The Spring {@code @Cacheable} variants, on a {@code CaffeineCacheManager}. Each body
 * counts its executions in {@link Executions}, so that the sanity pass can prove that a
 * variant caches.
 */
public class SpringCacheService {

	static final String BY_ID_KEY = "@Cacheable(key = \"#id\") byIdKey(long)";

	static final String BY_ID_KEY_SYNC = "@Cacheable(key = \"#id\", sync = true) byIdKeySync(long)";

	static final String BY_ID = "@Cacheable byId(long)";

	static final String BY_NAME_AND_NUMBER = "@Cacheable byNameAndNumber(String, int)";

	static final String MISS_SYNC = "@Cacheable(key = \"#id\", sync = true) missSync(long)";

	static final String SLOW = "@Cacheable(key = \"#id\") slow(long)";

	static final String SLOW_SYNC = "@Cacheable(key = \"#id\", sync = true) slowSync(long)";

	private final LongAdder byIdKey = Executions.counter(BY_ID_KEY);

	private final LongAdder byIdKeySync = Executions.counter(BY_ID_KEY_SYNC);

	private final LongAdder byId = Executions.counter(BY_ID);

	private final LongAdder byNameAndNumber = Executions.counter(BY_NAME_AND_NUMBER);

	private final LongAdder missSync = Executions.counter(MISS_SYNC);

	private final LongAdder slow = Executions.counter(SLOW);

	private final LongAdder slowSync = Executions.counter(SLOW_SYNC);

	@Cacheable(cacheNames = "spring.byIdKey", key = "#id")
	public String byIdKey(long id) {
		this.byIdKey.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	@Cacheable(cacheNames = "spring.byIdKeySync", key = "#id", sync = true)
	public String byIdKeySync(long id) {
		this.byIdKeySync.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/** Spring's default key on one argument: the argument itself. */
	@Cacheable(cacheNames = "spring.byId")
	public String byId(long id) {
		this.byId.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/** Spring's default key on two arguments: a {@code SimpleKey}. */
	@Cacheable(cacheNames = "spring.byNameAndNumber")
	public String byNameAndNumber(String name, int number) {
		this.byNameAndNumber.increment();
		return Keys.VALUES[number & Keys.MASK];
	}

	@Cacheable(cacheNames = "spring.missSync", key = "#id", sync = true)
	public String missSync(long id) {
		this.missSync.increment();
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	@Cacheable(cacheNames = "spring.slow", key = "#id")
	public String slow(long id) throws InterruptedException {
		this.slow.increment();
		Thread.sleep(Stampede.BODY_MILLIS);
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	@Cacheable(cacheNames = "spring.slowSync", key = "#id", sync = true)
	public String slowSync(long id) throws InterruptedException {
		this.slowSync.increment();
		Thread.sleep(Stampede.BODY_MILLIS);
		return Keys.VALUES[(int) id & Keys.MASK];
	}

}
