/**
 * JMH benchmarks of {@code @Cached} against raw Caffeine, a plain call and Spring's
 * {@code @Cacheable}, with the sanity pass, the stampede harness and the heap-per-entry
 * harness that {@link dev.cached.benchmarks.BenchmarkMain} runs with them; and of the
 * Redis tier: {@link dev.cached.benchmarks.ManyInstances} (several instances on one
 * {@code redis-server}) and {@link dev.cached.benchmarks.RedisBenchmarks}.
 */
@NullMarked
package dev.cached.benchmarks;

import org.jspecify.annotations.NullMarked;
