package dev.cached.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.cached.engine.CachedCache;
import dev.cached.redis.FailoverSentinelTests.Books;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;

/**
 * What the cluster failover tests share: where a cache's entry lives (the one place these
 * tests name a Redis key, through {@link Instances#entry}), which nodes hold the
 * instances' subscriptions, replication in step, and a caller that calls one instance
 * without pause and records failed calls and when it read Redis again after a fault.
 */
final class ClusterFaults {

	private ClusterFaults() {
	}

	/**
	 * Return the primary that holds a remote cache's entry now (as the cluster says where
	 * its key's slot is): the shard whose failover that entry goes through.
	 * @param cluster the cluster
	 * @param cache the cache name
	 * @param key the cache key
	 * @return the primary
	 */
	static RedisServer shardOf(RedisCluster cluster, String cache, Object key) {
		return cluster.nodeFor(Instances.entry(cache, key));
	}

	/**
	 * Return a key of a cache whose entry a primary holds: {@code preferred} if it does, else
	 * the first of {@code preferred-0}, {@code preferred-1}, ... that does, if any of the
	 * first thousand does (a layout that keeps a whole cache on one shard has none there).
	 * @param cluster the cluster
	 * @param cache the cache name
	 * @param preferred the key to use if it is there
	 * @param primary the primary
	 * @return the key, or {@code preferred} if none of them is there
	 */
	static String keyOn(RedisCluster cluster, String cache, String preferred, RedisServer primary) {
		if (shardOf(cluster, cache, preferred) == primary) {
			return preferred;
		}
		for (int i = 0; i < 1000; i++) {
			if (shardOf(cluster, cache, preferred + "-" + i) == primary) {
				return preferred + "-" + i;
			}
		}
		return preferred;
	}

	/**
	 * Wait until a replica has everything its primary was sent (its replication offset
	 * reached the primary's).
	 * @param primary the primary
	 * @param replica its replica
	 */
	static void awaitInSync(RedisServer primary, RedisServer replica) {
		await().until(() -> offset(replica, "slave_repl_offset") >= offset(primary, "master_repl_offset"));
	}

	private static long offset(RedisServer node, String field) {
		for (String line : String.valueOf(node.command("INFO", "replication")).split("\r?\n")) {
			if (line.startsWith(field + ":")) {
				return Long.parseLong(line.substring(field.length() + 1).trim());
			}
		}
		return -1;
	}

	/**
	 * Return the nodes that hold a subscription now, the one holding the most first
	 * ({@code CLIENT LIST}: the clients subscribed to a channel); a node that does not
	 * answer is not asked.
	 * @param cluster the cluster
	 * @return the nodes, each once per subscription it holds
	 */
	static List<RedisServer> subscriptionHolders(RedisCluster cluster) {
		List<RedisServer> holders = new ArrayList<>();
		for (RedisServer node : cluster.nodes()) {
			if (node.isRunning() && !node.isPaused()) {
				for (String client : String.valueOf(node.command("CLIENT", "LIST")).split("\n")) {
					if (client.contains(" sub=") && !client.contains(" sub=0 ")) {
						holders.add(node);
					}
				}
			}
		}
		holders.sort((x, y) -> Integer.compare(count(holders, y), count(holders, x)));
		return holders;
	}

	private static int count(List<RedisServer> nodes, RedisServer node) {
		int count = 0;
		for (RedisServer each : nodes) {
			count += (each == node) ? 1 : 0;
		}
		return count;
	}

	static long millis(long nanos) {
		return Duration.ofNanos(nanos).toMillis();
	}

	/**
	 * Calls {@code book(key)} of {@link Books} on one instance without pause, each call
	 * missing locally so that it looks in Redis; records failed calls and when Redis was
	 * read again after the fault: the first value read from Redis by a call made after
	 * {@link #since} and after the last Redis error of the instance's cache since then
	 * ({@code cache.remote.errors}), if any.
	 */
	static final class Caller implements AutoCloseable {

		final AtomicLong redisReads = new AtomicLong();

		final AtomicLong calls = new AtomicLong();

		final AtomicLong recoveredAt = new AtomicLong();

		final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

		volatile long since = Long.MAX_VALUE;

		private volatile boolean running = true;

		private final Thread thread;

		Caller(Instances instances, int instance, String key) {
			Books books = instances.bean(instance, Books.class);
			CachedCache cache = instances.engine(instance, "books");
			this.thread = new Thread(() -> {
				while (this.running) {
					long started = System.nanoTime();
					long hitsBefore = cache.getRemoteStatistics().hits();
					long errorsBefore = cache.getRemoteStatistics().errors();
					cache.invalidateLocally(key);
					try {
						books.book(key);
					}
					catch (RuntimeException ex) {
						this.failures.add(ex.toString());
					}
					this.calls.incrementAndGet();
					if (cache.getRemoteStatistics().errors() > errorsBefore && started - this.since > 0) {
						// Redis failed this call: it is read again from a later call on
						this.recoveredAt.set(0);
					}
					else if (cache.getRemoteStatistics().hits() > hitsBefore) {
						this.redisReads.incrementAndGet();
						if (started - this.since > 0) {
							// a call made after the fault: one in flight then may have been answered before it
							this.recoveredAt.compareAndSet(0, System.nanoTime());
						}
					}
					// a caller's pace, not a wait for anything
					LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
				}
			}, "cluster-caller-" + instance);
			this.thread.setDaemon(true);
			this.thread.start();
		}

		/** Count what happens from now on as after the fault. */
		static void since(long nanos, List<Caller> callers) {
			for (Caller caller : callers) {
				caller.since = nanos;
			}
		}

		@Override
		public void close() {
			this.running = false;
			try {
				this.thread.join(10_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
