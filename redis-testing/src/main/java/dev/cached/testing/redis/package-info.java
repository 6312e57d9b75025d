/**
 * Launchers of real Redis processes on free ports, shared by the project's tests, the
 * sample's tests and the benchmarks: {@link dev.cached.testing.redis.RedisServer} (one
 * server), {@link dev.cached.testing.redis.RedisCluster} (a Redis Cluster of primaries and
 * replicas) and {@link dev.cached.testing.redis.RedisSentinelSetup} (a primary, its
 * replicas and sentinels); and a JUnit extension that starts one server for a test class
 * or a test.
 */
@NullMarked
package dev.cached.testing.redis;

import org.jspecify.annotations.NullMarked;
