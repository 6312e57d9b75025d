package dev.cached.redis;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;

import dev.cached.engine.AsyncBulkCall;
import dev.cached.engine.BulkCall;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Load;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.redis.RedisEntries.Found;
import dev.cached.redis.RedisEntries.Lease;
import dev.cached.redis.RedisEntries.Look;

/**
 * One cache on the Redis tier, as the engine sees it: a loader and a writer. Every cache
 * sends its invalidations, clears and puts to the other instances; a remote one also
 * keeps its values in Redis, and loads a key that the local store lacks like this, in one
 * method:
 * <ol>
 * <li>look in Redis: a value there is the answer;</li>
 * <li>else take the key's lease, or, if another instance holds it, wait for that
 * instance's news (or for the lease to run out, or for the cache's wait timeout) and look
 * again;</li>
 * <li>with the lease: run the call, write its value (only while the lease still holds:
 * an invalidation anywhere deletes it, a clear anywhere moves the cache to a new
 * generation), and release the lease in a {@code finally}.</li>
 * </ol>
 * A fault at any step makes that step answer "nothing there": the call runs, and its
 * value stays local.
 */
final class RedisRemoteCache implements RemoteCache {

	private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

	/**
	 * Where an asynchronous load goes on when Redis has answered: Redis' answers complete on
	 * Lettuce's event loop, which must run neither the method nor the callers' code.
	 */
	static final Executor ASYNC = CompletableFuture.delayedExecutor(0, TimeUnit.NANOSECONDS);

	private final RedisEvents events;

	private final RedisTierSettings settings;

	private final RedisEntries entries;

	private final RedisWriter writer;

	private final CachedCache cache;

	private final RemoteStatistics statistics;

	private final RedisSequence sequence = new RedisSequence();

	/** Keeps the writes Redis did not take yet; the tier's. */
	private final RedisOutbox outbox;

	/** The bulk loads ({@code @CachedAll}). */
	private final RedisBulk bulk;

	/** The asynchronous loads of one key. */
	private final RedisAsyncLoads asyncLoads;

	RedisRemoteCache(RedisConnection connection, RedisEvents events, RedisLeases leases, RedisTierSettings settings,
			CachedCache cache, @Nullable RedisValues values, RedisOutbox outbox) {
		this.outbox = outbox;
		this.events = events;
		this.settings = settings;
		this.cache = cache;
		this.entries = new RedisEntries(connection, events, leases, settings, cache, values, this.sequence,
				new RedisBuckets());
		this.writer = new RedisWriter(connection, events, this.entries, this, outbox);
		this.statistics = cache.getRemoteStatistics();
		this.bulk = new RedisBulk(this, connection, this.entries, events, leases, settings);
		this.asyncLoads = new RedisAsyncLoads(this, this.entries, events, settings);
	}

	CachedCache cache() {
		return this.cache;
	}

	RedisEntries entries() {
		return this.entries;
	}

	RedisSequence sequence() {
		return this.sequence;
	}

	String entryKey(String stable) {
		return this.entries.entryKey(stable);
	}

	void invalidatedElsewhere(String stable) {
		this.writer.invalidatedElsewhere(stable);
	}

	void clearedElsewhere() {
		this.writer.clearedElsewhere();
	}

	// loading

	@Override
	public @Nullable Object load(Object key, Load load, Call call) throws Throwable {
		String stable = remoteKey(key);
		if (stable == null) {
			return call.run();
		}
		Object looked = lookup(stable, this.entries.payloads().reader(call.context()));
		if (looked instanceof Found found) {
			load.fromSharedTier(found.remainingNanos());
			return found.value();
		}
		return runWithLease(load, call, (Lease) looked);
	}

	/** See {@link RedisBulk}: one script reads and leases, one writes. */
	@Override
	public Map<Object, @Nullable Object> loadAll(List<Object> keys, List<Load> loads, BulkCall call) throws Throwable {
		return this.bulk.loadAll(keys, loads, call, !this.outbox.holds(this.cache.getName()));
	}

	/** See {@link RedisBulk}: one script reads and leases, one writes; nothing blocks. */
	@Override
	public CompletionStage<Map<Object, @Nullable Object>> loadAllAsync(List<Object> keys, List<Load> loads,
			AsyncBulkCall call) {
		return this.bulk.loadAllAsync(keys, loads, call, !this.outbox.holds(this.cache.getName()), ASYNC);
	}

	@Override
	public @Nullable Object reload(Object key, Load load, long takeIfRemainingAbove, Call call) throws Throwable {
		String stable = remoteKey(key);
		if (stable == null) {
			return call.run();
		}
		if (takeIfRemainingAbove != Long.MAX_VALUE) {
			// another instance may have reloaded the key already: take its value instead
			Found found = this.entries.peek(stable, this.entries.payloads().reader(call.context()));
			if (found != null && storable(found.value()) && found.remainingNanos() >= 0
					&& found.remainingNanos() > takeIfRemainingAbove) {
				load.fromSharedTier(found.remainingNanos());
				return found.value();
			}
		}
		Lease lease = this.entries.tryLease(stable);
		if (lease == RedisEntries.HELD_ELSEWHERE) {
			return SKIPPED;
		}
		return runWithLease(load, call, lease);
	}

	/**
	 * The key's stable form if its load goes through Redis; {@code null} to load locally:
	 * a key with no stable form, a cache whose values stay local, or one with a write that
	 * Redis has not taken yet (reading Redis could bring back the value it invalidated).
	 */
	private @Nullable String remoteKey(Object key) {
		return this.outbox.holds(this.cache.getName()) ? null : this.entries.remoteKey(key);
	}

	/** Run the call; with a lease, write its value or release the lease, whatever happens. */
	private @Nullable Object runWithLease(Load load, Call call, @Nullable Lease lease) throws Throwable {
		if (lease == null) {
			return call.run();
		}
		boolean written = false;
		try {
			Object value = call.run();
			if (call.storable() && !load.isInvalidated() && storable(value)) {
				written = true;
				this.entries.write(lease, value, this.cache.drawTtlNanos());
			}
			return value;
		}
		finally {
			if (!written) {
				this.entries.release(lease);
			}
		}
	}

	boolean storable(@Nullable Object value) {
		return value != null || this.cache.getSettings().isCacheNullValues();
	}

	/**
	 * Look up a key, waiting while another instance loads it: a {@link Found} value, the
	 * {@link Lease} taken, or {@code null} to load without a lease (a fault, a wait
	 * timeout, or a {@code null} value in a cache that does not keep them).
	 */
	private @Nullable Object lookup(String stable, @Nullable RedisValues reader) {
		String entry = this.entries.entryKey(stable);
		Duration waitTimeout = this.cache.getSettings().waitTimeout().value();
		long deadline = (waitTimeout != null) ? System.nanoTime() + waitTimeout.toNanos() : Long.MAX_VALUE;
		CompletableFuture<Void> news = null;
		try {
			for (;;) {
				// registered before the look, so that the news of the lease's end is never missed
				news = this.events.waiters().waiter(entry);
				Look look = this.entries.look(stable, reader);
				long leaseLeft = look.leaseLeftMillis();
				if (look.found() != null) {
					this.statistics.recordHit();
					return storable(look.found().value()) ? look.found() : null;
				}
				if (look.lease() != null || look == RedisEntries.UNAVAILABLE) {
					this.statistics.recordMiss();
					return look.lease();
				}
				if (look == RedisEntries.FOREIGN) {
					Lease lease = this.entries.tryLease(stable);
					if (lease != RedisEntries.HELD_ELSEWHERE) {
						this.statistics.recordMiss();
						return lease;
					}
					leaseLeft = this.settings.leaseTime().toMillis();
				}
				// another instance loads the key: wait for its news, or for its lease to end
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					this.statistics.recordMiss();
					return null;
				}
				try {
					news.get(Math.min(left, Math.max(1, leaseLeft) * MILLI + 10 * MILLI), TimeUnit.NANOSECONDS);
				}
				catch (TimeoutException ex) {
					// the lease ran out (its holder died) or the wait timeout came: look again
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					this.statistics.recordMiss();
					return null;
				}
				catch (ExecutionException ex) {
					// never: the news completes normally
				}
			}
		}
		finally {
			if (news != null) {
				this.events.waiters().forget(entry, news);
			}
		}
	}

	@Override
	public @Nullable CompletionStage<?> loadAsync(Object key, Load load, AsyncCall call) throws Throwable {
		String stable = remoteKey(key);
		return (stable != null) ? this.asyncLoads.load(stable, load, call) : call.start();
	}

	// writing

	@Override
	public void put(Object key, @Nullable Object value, long ttlNanos) {
		this.writer.put(key, value, ttlNanos);
	}

	@Override
	public void invalidate(Object key) {
		this.writer.invalidate(key);
	}

	@Override
	public void invalidateAll() {
		this.writer.invalidateAll();
	}

}
