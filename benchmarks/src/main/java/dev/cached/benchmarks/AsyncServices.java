package dev.cached.benchmarks;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

import dev.cached.Cached;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.cache.annotation.Cacheable;

/**
 * The asynchronous variants: the same {@code CompletableFuture} and {@code Mono} methods
 * under {@code @Cached} and under Spring's {@code @Cacheable} (on a
 * {@code CaffeineCacheManager} in async cache mode, which Spring needs for them). Each
 * body counts its executions in {@link Executions} where it really runs: in the future's
 * task, or when the {@code Mono} is subscribed.
 */
final class AsyncServices {

	/** Runs the slow bodies of the stampede: one thread per body, as many as it takes. */
	static final ExecutorService BODIES = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "async-body");
		thread.setDaemon(true);
		return thread;
	});

	static final Scheduler BODY_SCHEDULER = Schedulers.fromExecutorService(BODIES);

	private AsyncServices() {
	}

	static String slowValue(long id) {
		try {
			Thread.sleep(Stampede.BODY_MILLIS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		return Keys.VALUES[(int) id & Keys.MASK];
	}

	/**
	 * The {@code @Cached} variants.
	 */
	public static class Cached {

		static final String FUTURE = "@Cached(key = \"#id\") futureById(long)";

		static final String MONO = "@Cached(key = \"#id\") monoById(long)";

		static final String SLOW_FUTURE = "@Cached(key = \"#id\") slowFuture(long)";

		static final String SLOW_MONO = "@Cached(key = \"#id\") slowMono(long)";

		private final LongAdder future = Executions.counter(FUTURE);

		private final LongAdder mono = Executions.counter(MONO);

		private final LongAdder slowFuture = Executions.counter(SLOW_FUTURE);

		private final LongAdder slowMono = Executions.counter(SLOW_MONO);

		@dev.cached.Cached(key = "#id")
		public CompletableFuture<String> futureById(long id) {
			this.future.increment();
			return CompletableFuture.completedFuture(Keys.VALUES[(int) id & Keys.MASK]);
		}

		@dev.cached.Cached(key = "#id")
		public Mono<String> monoById(long id) {
			return Mono.fromSupplier(() -> {
				this.mono.increment();
				return Keys.VALUES[(int) id & Keys.MASK];
			});
		}

		@dev.cached.Cached(key = "#id")
		public CompletableFuture<String> slowFuture(long id) {
			return CompletableFuture.supplyAsync(() -> {
				this.slowFuture.increment();
				return slowValue(id);
			}, BODIES);
		}

		@dev.cached.Cached(key = "#id")
		public Mono<String> slowMono(long id) {
			return Mono.fromCallable(() -> {
				this.slowMono.increment();
				return slowValue(id);
			}).subscribeOn(BODY_SCHEDULER);
		}

	}

	/**
	 * The {@code @Cacheable} variants, on the async cache manager.
	 */
	public static class Spring {

		static final String FUTURE = "@Cacheable(key = \"#id\") futureById(long)";

		static final String MONO = "@Cacheable(key = \"#id\") monoById(long)";

		static final String SLOW_FUTURE = "@Cacheable(key = \"#id\") slowFuture(long)";

		static final String SLOW_FUTURE_SYNC = "@Cacheable(key = \"#id\", sync = true) slowFutureSync(long)";

		static final String SLOW_MONO = "@Cacheable(key = \"#id\") slowMono(long)";

		private final LongAdder future = Executions.counter(FUTURE);

		private final LongAdder mono = Executions.counter(MONO);

		private final LongAdder slowFuture = Executions.counter(SLOW_FUTURE);

		private final LongAdder slowFutureSync = Executions.counter(SLOW_FUTURE_SYNC);

		private final LongAdder slowMono = Executions.counter(SLOW_MONO);

		@Cacheable(cacheNames = "spring.futureById", key = "#id", cacheManager = "asyncCacheManager")
		public CompletableFuture<String> futureById(long id) {
			this.future.increment();
			return CompletableFuture.completedFuture(Keys.VALUES[(int) id & Keys.MASK]);
		}

		@Cacheable(cacheNames = "spring.monoById", key = "#id", cacheManager = "asyncCacheManager")
		public Mono<String> monoById(long id) {
			return Mono.fromSupplier(() -> {
				this.mono.increment();
				return Keys.VALUES[(int) id & Keys.MASK];
			});
		}

		@Cacheable(cacheNames = "spring.slowFuture", key = "#id", cacheManager = "asyncCacheManager")
		public CompletableFuture<String> slowFuture(long id) {
			return CompletableFuture.supplyAsync(() -> {
				this.slowFuture.increment();
				return slowValue(id);
			}, BODIES);
		}

		@Cacheable(cacheNames = "spring.slowFutureSync", key = "#id", sync = true,
				cacheManager = "asyncCacheManager")
		public CompletableFuture<String> slowFutureSync(long id) {
			return CompletableFuture.supplyAsync(() -> {
				this.slowFutureSync.increment();
				return slowValue(id);
			}, BODIES);
		}

		@Cacheable(cacheNames = "spring.slowMono", key = "#id", cacheManager = "asyncCacheManager")
		public Mono<String> slowMono(long id) {
			return Mono.fromCallable(() -> {
				this.slowMono.increment();
				return slowValue(id);
			}).subscribeOn(BODY_SCHEDULER);
		}

	}

}
