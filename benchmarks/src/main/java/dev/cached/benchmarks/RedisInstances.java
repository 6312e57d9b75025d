package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.cached.engine.CachedCache;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Several instances of {@link RedisBenchmarkApplication} on one {@link BenchmarkRedis}
 * (one server or a cluster), in one JVM, with their {@link RemoteService}s, and the checks
 * that they work together before anything is measured ({@link #checkSanity()}).
 */
final class RedisInstances implements AutoCloseable {

	/** The channel the instances listen on. */
	static final String CHANNEL = "cached:events";

	private static final long TIMEOUT_SECONDS = 30;

	final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	final RemoteService[] services;

	private final BenchmarkRedis redis;

	private final RedisClusterCommands<String, String> lettuce;

	/**
	 * Start {@code count} instances on a Redis.
	 * @param redis the Redis
	 * @param count how many
	 */
	RedisInstances(BenchmarkRedis redis, int count) {
		this.redis = redis;
		this.services = new RemoteService[count];
		try {
			this.lettuce = redis.lettuce(StringCodec.UTF8);
			for (int i = 0; i < count; i++) {
				ConfigurableApplicationContext context = redis.startInstance();
				this.contexts.add(context);
				this.services[i] = context.getBean(RemoteService.class);
			}
		}
		catch (RuntimeException | Error ex) {
			close();
			throw ex;
		}
	}

	/** Whether Redis holds the entry of {@code key} in {@code cache}, under its current generation. */
	boolean inRedis(CachedCache cache, Object key) {
		return this.lettuce.get(BenchmarkRedis.entryKey(this.lettuce, cache.getName(), key)) != null;
	}

	long[] slowExecutions() {
		long[] executions = new long[this.services.length];
		for (int i = 0; i < this.services.length; i++) {
			executions[i] = this.services[i].slowExecutionsHere();
		}
		return executions;
	}

	/**
	 * Wait until every instance listens to the others (on a cluster: the subscriptions
	 * counted over every node, see {@link BenchmarkRedis#subscribers}), then prove that the
	 * caches are remote (or not) as configured, that a key loaded on one instance is a Redis
	 * hit on the others, and that Redis holds it where the harness reads it.
	 */
	void checkSanity() throws Exception {
		int count = this.services.length;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
		for (;;) {
			long subscribers = this.redis.subscribers(CHANNEL);
			if (subscribers == count) {
				break;
			}
			if (System.nanoTime() - deadline > 0) {
				throw new IllegalStateException("Sanity check failed: " + subscribers + " subscriptions to " + CHANNEL
						+ " on " + this.redis.describe() + " (expected " + count + ", one per instance)");
			}
			// polling Redis until the instances' subscriptions, made in the background, hold
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
		}
		CachedCache slow = null;
		for (ConfigurableApplicationContext context : this.contexts) {
			slow = RedisBenchmarkApplication.cache(context, RemoteService.SLOW_CACHE, true);
			RedisBenchmarkApplication.cache(context, RemoteService.PAYLOAD_CACHE, true);
			RedisBenchmarkApplication.cache(context, RemoteService.LOCAL_ONLY_CACHE, false);
		}
		long key = -1;
		long before = Executions.of(RemoteService.SLOW);
		for (RemoteService service : this.services) {
			String value = service.slow(key);
			if (!Keys.VALUES[(int) key & Keys.MASK].equals(value)) {
				throw new IllegalStateException("Sanity check failed: RemoteService.slow returned '" + value + "'");
			}
		}
		long executions = Executions.of(RemoteService.SLOW) - before;
		if (executions != 1) {
			throw new IllegalStateException("Sanity check failed: RemoteService.slow ran its body " + executions
					+ " times for one key called once on each of " + count
					+ " instances (expected 1: the others read Redis); refusing to measure");
		}
		if (slow == null || !inRedis(slow, key)) {
			throw new IllegalStateException("Sanity check failed: Redis does not hold key " + key + " of "
					+ RemoteService.SLOW_CACHE + " where the harness looks for it; refusing to measure");
		}
	}

	@Override
	public void close() {
		for (ConfigurableApplicationContext context : this.contexts) {
			context.close();
		}
		this.contexts.clear();
	}

}
