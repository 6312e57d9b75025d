package dev.cached.refresh;

import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import dev.cached.engine.CacheSettings;
import dev.cached.engine.Refresher;

/**
 * Creates a {@link BackgroundRefresher} per cache, all of them running their reloads on
 * one executor.
 */
public final class BackgroundRefreshers implements Refresher.Factory {

	private final Supplier<Executor> executor;

	private final RandomGenerator random;

	/**
	 * Create a factory whose refreshers flip early refresh's coins with a
	 * {@link java.util.concurrent.ThreadLocalRandom}.
	 * @param executor supplies the executor for reloads, asked at the first reload (so
	 * that an executor bean is not created while the caches are)
	 */
	public BackgroundRefreshers(Supplier<Executor> executor) {
		this(executor, new ThreadLocalRandomGenerator());
	}

	/**
	 * Create a factory.
	 * @param executor supplies the executor for reloads, asked at the first reload
	 * @param random the source of early refresh's coin flips (thread-safe)
	 */
	public BackgroundRefreshers(Supplier<Executor> executor, RandomGenerator random) {
		this.executor = executor;
		this.random = random;
	}

	@Override
	public Refresher create(String cacheName, CacheSettings settings) {
		return new BackgroundRefresher(cacheName, settings, this.executor, this.random);
	}

	/** Thread-safe and uncontended: each call asks the calling thread's generator. */
	private static final class ThreadLocalRandomGenerator implements RandomGenerator {

		@Override
		public long nextLong() {
			return java.util.concurrent.ThreadLocalRandom.current().nextLong();
		}

		@Override
		public double nextDouble() {
			return java.util.concurrent.ThreadLocalRandom.current().nextDouble();
		}

	}

}
