package dev.cached.redis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.cached.redis.RedisSequence.Verdict;

/**
 * Keeps every cache's local store in step with its version in Redis ({@link RedisSequence}):
 * <ul>
 * <li><b>gaps</b>: a message that stays missing for a grace period after a later one came,
 * or a periodic check (every {@code max-staleness / 2}) that finds a version published
 * before the previous check still not received, invalidates the cache locally as a
 * whole, running loads included ({@code CachedCache.invalidateAllLocally()}): no
 * instance serves an invalidated value for longer than {@code cached.redis.max-staleness}
 * once Redis answers;</li>
 * <li><b>Redis that went back in time</b> (a restart from an older snapshot, a failover to
 * a replica that missed writes): a cache's version or generation in Redis below one seen
 * before, found by a check or a read of the meta hash, or a bucket's version below one
 * seen, found by the read scripts (which then read nothing), invalidates every cache
 * locally and repairs Redis ({@link Scripts#REPAIR}: a version above the one seen, and a
 * generation never used before, so that no older entry is read); the periodic check also
 * tells each cache its generation ({@link RedisBuckets});</li>
 * <li><b>sweeps</b>: after a clear, the entries of older generations of a cache without a
 * ttl are deleted in small batches ({@code SCAN MATCH} over its buckets' keys, on every
 * primary of a cluster); those of caches with a ttl expire by themselves.</li>
 * </ul>
 * Everything here runs on its own daemon thread, {@code cached-redis-versions}, between
 * {@link #start} and {@link #stop}; the last gap repaired is shown by the actuator.
 */
final class RedisVersions {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	/** How long a message may come after a later one of the same cache before it counts as lost. */
	private static final long HOLE_GRACE_MILLIS = 1000;

	private static final int SWEEP_BATCH = 1000;

	private static final byte[] V = RedisConnection.bytes("v");

	private static final byte[] G = RedisConnection.bytes("g");

	private final RedisConnection connection;

	private final RedisTierSettings settings;

	private final Map<String, RedisRemoteCache> caches;

	private final BooleanSupplier subscribed;

	/** Whether a repair of Redis is scheduled and not done yet. */
	private final AtomicBoolean repairing = new AtomicBoolean();

	/** The caches being swept now, by name. */
	private final Map<String, Boolean> sweeping = new java.util.concurrent.ConcurrentHashMap<>();

	/** Runs checks, repairs and sweeps: made by start, shut down by stop. */
	private volatile @Nullable ScheduledThreadPoolExecutor executor;

	/** The last gap repaired: cache and time; written by any thread. */
	private volatile @Nullable Map<String, Object> lastGapRepaired;

	RedisVersions(RedisConnection connection, RedisTierSettings settings, Map<String, RedisRemoteCache> caches,
			BooleanSupplier subscribed) {
		this.connection = connection;
		this.settings = settings;
		this.caches = caches;
		this.subscribed = subscribed;
	}

	void start() {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (runnable) -> {
			Thread thread = new Thread(runnable, "cached-redis-versions");
			thread.setDaemon(true);
			return thread;
		});
		executor.setRemoveOnCancelPolicy(true);
		long every = Math.max(1, this.settings.maxStaleness().toMillis() / 2);
		executor.scheduleWithFixedDelay(this::checkAll, every, every, TimeUnit.MILLISECONDS);
		this.executor = executor;
	}

	void stop() {
		ScheduledThreadPoolExecutor executor = this.executor;
		this.executor = null;
		if (executor != null) {
			executor.shutdownNow();
		}
	}

	/**
	 * Return the last gap repaired, for the actuator.
	 * @return {@code cache}, {@code at} (and {@code reason}), or {@code null} if none
	 */
	@Nullable Map<String, Object> lastGapRepaired() {
		return this.lastGapRepaired;
	}

	/**
	 * A message of {@code cache} with version {@code v} arrived (on a listening thread).
	 */
	void received(RedisRemoteCache cache, long v) {
		if (cache.sequence().received(v)) {
			long grace = Math.min(HOLE_GRACE_MILLIS, Math.max(1, this.settings.maxStaleness().toMillis() / 2));
			schedule(() -> {
				if (cache.sequence().holeOlderThan(TimeUnit.MILLISECONDS.toNanos(grace))) {
					gap(cache, cache.sequence().seen(), "a message was missed");
				}
			}, grace + 1);
		}
	}

	/**
	 * A read script found Redis older than this instance has seen: repair it in the
	 * background (once until done).
	 */
	void foundOlder() {
		if (this.repairing.compareAndSet(false, true)) {
			if (!schedule(this::repairAll, 0)) {
				this.repairing.set(false);
			}
		}
	}

	/**
	 * The subscription was made again after it was lost: every message meanwhile was
	 * missed, so every cache is invalidated locally, running loads included.
	 */
	void resubscribed() {
		for (RedisRemoteCache cache : this.caches.values()) {
			cache.sequence().restart();
			cache.entries().buckets().forget();
			cache.cache().invalidateAllLocally();
		}
		record(null, "the subscription was made again");
	}

	/** After a clear of {@code cache} by this instance: sweep its older generations if they do not expire. */
	void cleared(RedisRemoteCache cache) {
		if (cache.entries().keepsValues() && cache.cache().getSettings().ttl().value() == null
				&& this.sweeping.putIfAbsent(cache.cache().getName(), Boolean.TRUE) == null) {
			if (!schedule(() -> sweep(cache, ScanCursor.INITIAL, -1), 0)) {
				this.sweeping.remove(cache.cache().getName());
			}
		}
	}

	/**
	 * Read the generation of every remote cache that does not know it, waiting at most
	 * {@code timeoutNanos} for all of them (on the starting thread: the first calls then
	 * take one round trip); one not read by then is read by the cache's first call.
	 */
	void learnGenerations(long timeoutNanos) {
		List<CompletableFuture<Long>> reads = new ArrayList<>();
		for (RedisRemoteCache cache : this.caches.values()) {
			if (cache.entries().keepsValues()) {
				reads.add(cache.entries().calls().generationAsync());
			}
		}
		try {
			CompletableFuture.allOf(reads.toArray(new CompletableFuture<?>[0])).get(timeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			// read by the first call instead
		}
	}

	/** Check every cache's version now (a subscription was just made), besides the periodic checks. */
	void checkSoon() {
		schedule(this::checkAll, 0);
	}

	// the periodic check

	private void checkAll() {
		boolean subscribed = this.subscribed.getAsBoolean();
		for (RedisRemoteCache cache : new ArrayList<>(this.caches.values())) {
			// what was seen before the check was sent: Redis held at least that when it ran the
			// script; a version seen meanwhile (a message of a later write) says nothing of it
			long seenBefore = cache.sequence().seen();
			RedisBuckets buckets = cache.entries().buckets();
			long epoch = buckets.epoch();
			long highestBefore = buckets.highest();
			List<KeyValue<byte[], byte[]>> meta;
			try {
				meta = this.connection.call(null, "check a version",
						(c) -> c.hmget(cache.entries().meta()[0], V, G));
			}
			catch (Unavailable ex) {
				return;
			}
			long v = RedisBucketCalls.number(meta.get(0).getValueOrElse(null));
			long g = RedisBucketCalls.number(meta.get(1).getValueOrElse(null));
			Verdict verdict = cache.sequence().check(v, seenBefore, subscribed);
			if (verdict == Verdict.OLDER || g < highestBefore) {
				repairAll();
				return;
			}
			buckets.learned(g, epoch);
			if (verdict == Verdict.BEHIND) {
				gap(cache, v, "a message was missed");
			}
		}
	}

	private void gap(RedisRemoteCache cache, long v, String reason) {
		// the message missed may have been a clear
		cache.entries().buckets().forget();
		cache.cache().invalidateAllLocally();
		cache.sequence().covered(v);
		record(cache.cache().getName(), reason);
		logger.info("Cache '" + cache.cache().getName() + "' missed an invalidation (" + reason
				+ "): its local store was cleared, loads running now included");
	}

	private void record(@Nullable String cache, String reason) {
		Map<String, Object> gap = new LinkedHashMap<>();
		gap.put("cache", (cache != null) ? cache : "*");
		gap.put("at", Instant.now().toString());
		gap.put("reason", reason);
		this.lastGapRepaired = gap;
	}

	// Redis that went back in time

	private void repairAll() {
		try {
			List<String> repaired = new ArrayList<>();
			for (RedisRemoteCache cache : new ArrayList<>(this.caches.values())) {
				long seen = cache.sequence().seen();
				RedisBuckets buckets = cache.entries().buckets();
				long highest = buckets.highest();
				long behindAt = buckets.takeBehind();
				List<Object> reply;
				try {
					reply = this.connection.call(null, "repair a version",
							(c) -> Scripts.REPAIR.run(c, ScriptOutputType.MULTI, cache.entries().meta(),
									RedisConnection.bytes(Long.toString(seen)),
									RedisConnection.bytes(Long.toString(highest)),
									RedisConnection.bytes(Long.toString(behindAt)), cache.entries().channel(),
									cache.entries().head('c'), cache.entries().tail()));
				}
				catch (Unavailable ex) {
					// tried again by the next check or read that finds Redis older
					if (behindAt >= 0) {
						buckets.behind(behindAt);
					}
					return;
				}
				long v = (Long) reply.get(0);
				boolean bumped = (Long) reply.get(1) == 1;
				// a generation no entry of the older state is in, the bucket scripts' from now on
				buckets.raise((Long) reply.get(2), false);
				if (bumped || cache.entries().keepsValues()) {
					cache.cache().invalidateAllLocally();
				}
				cache.sequence().repaired(v);
				if (bumped) {
					repaired.add(cache.cache().getName());
					cleared(cache);
				}
			}
			record(null, "Redis went back in time");
			logger.warn("Redis went back in time (a restart from an older snapshot, or a failover to a replica that "
					+ "missed writes): the local stores of the remote caches were cleared, and the versions of "
					+ repaired + " raised in Redis so that no older entry is read");
		}
		finally {
			this.repairing.set(false);
		}
	}

	// sweeping older generations

	private void sweep(RedisRemoteCache cache, ScanCursor cursor, long generation) {
		RedisEntries entries = cache.entries();
		try {
			long current = generation;
			if (current < 0) {
				byte[] g = this.connection.call(null, "sweep", (c) -> c.hget(entries.meta()[0], G));
				current = RedisBucketCalls.number(g);
			}
			// every bucket's keys; on a cluster, Lettuce's scan goes over every primary
			byte[] pattern = RedisConnection.bytes(entries.bucketsPattern());
			KeyScanCursor<byte[]> page = this.connection.call(null, "sweep",
					(c) -> c.scan(cursor, ScanArgs.Builder.matches(pattern).limit(SWEEP_BATCH)));
			List<byte[]> old = new ArrayList<>();
			for (byte[] key : page.getKeys()) {
				long g = entries.generationOf(key);
				if (g >= 0 && g < current) {
					old.add(key);
				}
			}
			if (!old.isEmpty()) {
				byte[][] keys = old.toArray(new byte[0][]);
				this.connection.call(null, "sweep", (c) -> c.unlink(keys));
			}
			if (!page.isFinished()) {
				long at = current;
				if (schedule(() -> sweep(cache, page, at), 0)) {
					return;
				}
			}
		}
		catch (Unavailable | RuntimeException ex) {
			logger.debug("Sweeping the older entries of cache '" + cache.cache().getName() + "' stopped", ex);
		}
		this.sweeping.remove(cache.cache().getName());
	}

	private boolean schedule(Runnable task, long delayMillis) {
		ScheduledThreadPoolExecutor executor = this.executor;
		if (executor == null) {
			return false;
		}
		try {
			executor.schedule(() -> {
				try {
					task.run();
				}
				catch (RuntimeException ex) {
					logger.debug("A version check of the Redis tier failed", ex);
				}
			}, delayMillis, TimeUnit.MILLISECONDS);
			return true;
		}
		catch (RejectedExecutionException ex) {
			return false;
		}
	}

}
