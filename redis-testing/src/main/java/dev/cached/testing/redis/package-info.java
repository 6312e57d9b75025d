/**
 * A launcher of real {@code redis-server} processes on free ports, shared by the project's
 * tests, the sample's tests and the benchmarks; and a JUnit extension that starts one for
 * a test class or a test.
 */
@NullMarked
package dev.cached.testing.redis;

import org.jspecify.annotations.NullMarked;
