package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * The stampede: {@value #CALLERS} threads call the same cold key at once, and the body
 * takes {@value #BODY_MILLIS} ms. Measures how often the body ran and the time from the
 * start signal until the last caller had its value, per round, for each variant.
 */
final class Stampede {

	static final int CALLERS = 64;

	static final long BODY_MILLIS = 5;

	static final int WARMUP_ROUNDS = 5;

	static final int ROUNDS = 20;

	private static long nextKey = 1L << 50;

	private Stampede() {
	}

	/**
	 * Run every variant.
	 * @param context the application
	 * @return one result per variant
	 * @throws Exception if a round fails
	 */
	static List<Result> run(BenchmarkContext context) throws Exception {
		ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
		try {
			List<Result> results = new ArrayList<>();
			results.add(run(callers, CachedService.SLOW, (key) -> unchecked(() -> context.cached.slow(key))));
			results.add(run(callers, SpringCacheService.SLOW_SYNC,
					(key) -> unchecked(() -> context.spring.slowSync(key))));
			results.add(run(callers, SpringCacheService.SLOW, (key) -> unchecked(() -> context.spring.slow(key))));
			results.add(run(callers, AsyncServices.Cached.SLOW_FUTURE, (key) -> context.asyncCached.slowFuture(key).join()));
			results.add(run(callers, AsyncServices.Spring.SLOW_FUTURE_SYNC,
					(key) -> context.asyncSpring.slowFutureSync(key).join()));
			results.add(run(callers, AsyncServices.Spring.SLOW_FUTURE, (key) -> context.asyncSpring.slowFuture(key).join()));
			results.add(run(callers, AsyncServices.Cached.SLOW_MONO, (key) -> context.asyncCached.slowMono(key).block()));
			results.add(run(callers, AsyncServices.Spring.SLOW_MONO, (key) -> context.asyncSpring.slowMono(key).block()));
			return results;
		}
		finally {
			callers.shutdownNow();
		}
	}

	private static Result run(ExecutorService callers, String variant, LongFunction<Object> call) throws Exception {
		for (int i = 0; i < WARMUP_ROUNDS; i++) {
			round(callers, variant, call);
		}
		long[] executions = new long[ROUNDS];
		double[] millis = new double[ROUNDS];
		for (int i = 0; i < ROUNDS; i++) {
			long[] outcome = round(callers, variant, call);
			executions[i] = outcome[0];
			millis[i] = outcome[1] / 1e6;
		}
		return new Result(variant, executions, millis);
	}

	/** One round on a new key: returns {executions, nanos until all callers were served}. */
	private static long[] round(ExecutorService callers, String variant, LongFunction<Object> call) throws Exception {
		long key = nextKey++;
		CountDownLatch ready = new CountDownLatch(CALLERS);
		CountDownLatch start = new CountDownLatch(1);
		long[] served = new long[CALLERS];
		List<Future<?>> futures = new ArrayList<>();
		for (int i = 0; i < CALLERS; i++) {
			int caller = i;
			futures.add(callers.submit(() -> {
				ready.countDown();
				start.await();
				Object value = call.apply(key);
				served[caller] = System.nanoTime();
				if (value == null) {
					throw new IllegalStateException(variant + " returned null");
				}
				return value;
			}));
		}
		if (!ready.await(30, TimeUnit.SECONDS)) {
			throw new IllegalStateException("The stampede callers did not start");
		}
		long before = Executions.of(variant);
		long started = System.nanoTime();
		start.countDown();
		for (Future<?> future : futures) {
			future.get(30, TimeUnit.SECONDS);
		}
		long last = Arrays.stream(served).max().getAsLong();
		return new long[] { Executions.of(variant) - before, last - started };
	}

	static Object unchecked(Call call) {
		try {
			return call.call();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	interface Call {

		Object call() throws InterruptedException;

	}

	/**
	 * The rounds of one variant.
	 * @param variant the variant
	 * @param executions the body's executions per round
	 * @param millis the time until all callers were served, per round
	 */
	record Result(String variant, long[] executions, double[] millis) {

		long minExecutions() {
			return Arrays.stream(this.executions).min().getAsLong();
		}

		long maxExecutions() {
			return Arrays.stream(this.executions).max().getAsLong();
		}

		double medianMillis() {
			double[] sorted = this.millis.clone();
			Arrays.sort(sorted);
			return sorted[sorted.length / 2];
		}

		double maxMillis() {
			return Arrays.stream(this.millis).max().getAsDouble();
		}

	}

}
