package dev.cached.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hits of asynchronous methods: the same {@code CompletableFuture} and {@code Mono}
 * methods under {@code @Cached} and {@code @Cacheable}, every key cached before
 * measuring. Each call takes the value out of what the proxy returned ({@code join},
 * {@code block}), the way a caller would.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class AsyncHitBenchmarks {

	private AsyncServices.Cached cached;

	private AsyncServices.Spring spring;

	@Setup(Level.Trial)
	public void setUp() {
		BenchmarkContext context = BenchmarkContext.get();
		this.cached = context.asyncCached;
		this.spring = context.asyncSpring;
	}

	@Benchmark
	public String cachedFuture(HitBenchmarks.Cursor cursor) {
		return this.cached.futureById(cursor.next()).join();
	}

	@Benchmark
	public String cacheableFuture(HitBenchmarks.Cursor cursor) {
		return this.spring.futureById(cursor.next()).join();
	}

	@Benchmark
	public String cachedMono(HitBenchmarks.Cursor cursor) {
		return this.cached.monoById(cursor.next()).block();
	}

	@Benchmark
	public String cacheableMono(HitBenchmarks.Cursor cursor) {
		return this.spring.monoById(cursor.next()).block();
	}

}
