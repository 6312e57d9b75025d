package dev.cached.redis;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongFunction;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;


import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.key.StableKeys;

/**
 * The Redis operations of one cache, each one command (mostly one of the {@link Scripts})
 * once the cache's generation is known ({@link RedisBucketCalls}): look up an entry (or
 * take its lease), read it, take and release a lease, write a loaded value. Keys are in
 * their {@link StableKeys stable form}; the key layout is {@link RedisKeyLayout}'s. Every
 * read passes the least version of the key's bucket this instance has seen
 * ({@link RedisBuckets}), and reads nothing from a bucket that went back in time; an
 * entry larger than {@code cached.redis.max-value-size} is never read (checked in Redis)
 * nor written. No operation throws: a fault is counted by the tier and answered as
 * "nothing there".
 */
final class RedisEntries extends RedisKeys {

	private static final Log logger = LogFactory.getLog(RedisEntries.class);

	private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

	private final RedisConnection connection;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final RedisSequence sequence;

	/** This cache's generation and buckets' versions as this instance knows them. */
	private final RedisBuckets buckets;

	/** Runs the bucket scripts with the generation. */
	private final RedisBucketCalls calls;

	/** How values are read and written; {@code null} for a cache whose values stay local. */
	private final @Nullable RedisValues values;

	/** The JSON of this cache's values, and the faults of reading and writing it. */
	private final RedisPayloads payloads;

	private final RemoteStatistics statistics;

	private final byte[] leaseMillis;

	private final byte[] maxValueSize;

	RedisEntries(RedisConnection connection, RedisEvents events, RedisLeases leases, RedisTierSettings settings,
			CachedCache cache, @Nullable RedisValues values, RedisSequence sequence, RedisBuckets buckets) {
		super(settings, cache, events);
		this.connection = connection;
		this.events = events;
		this.leases = leases;
		this.values = values;
		this.payloads = new RedisPayloads(cache, values, settings.maxValueSize());
		this.sequence = sequence;
		this.buckets = buckets;
		this.calls = new RedisBucketCalls(connection, this, sequence, buckets, events);
		this.statistics = cache.getRemoteStatistics();
		this.leaseMillis = RedisConnection.bytes(Long.toString(Math.max(1, settings.leaseTime().toMillis())));
		this.maxValueSize = RedisConnection.bytes(Long.toString(settings.maxValueSize()));
	}

	RemoteStatistics statistics() {
		return this.statistics;
	}

	RedisSequence sequence() {
		return this.sequence;
	}

	RedisBuckets buckets() {
		return this.buckets;
	}

	RedisBucketCalls calls() {
		return this.calls;
	}

	RedisPayloads payloads() {
		return this.payloads;
	}

	/** Whether this cache keeps its values in Redis. */
	boolean keepsValues() {
		return this.values != null;
	}

	/**
	 * Return the stable form of {@code key} if this cache keeps its values in Redis and the
	 * key has such a form; {@code null} to load locally.
	 */
	@Nullable String remoteKey(Object key) {
		return (this.values != null) ? encode(key) : null;
	}

	/** A value found in Redis, with its remaining time to live there (negative: none). */
	record Found(@Nullable Object value, long remainingNanos) {
	}

	/** A lease this instance holds for one load: its bucket, the generation it was taken in, its name. */
	record Lease(String stable, String key, byte[] token, int bucket, long generation) {
	}

	/**
	 * The answer of one look: a value ({@link Found}), the lease taken ({@link Lease}), or,
	 * with {@code leaseLeftMillis}, another instance's lease and how long it has left.
	 */
	record Look(@Nullable Found found, @Nullable Lease lease, long leaseLeftMillis) {
	}

	/** What a look answers when Redis did not (or went back in time): load locally, without a lease. */
	static final Look UNAVAILABLE = new Look(null, null, -1);

	/** What a look answers for an entry that is not ours (or too large): take its lease and load. */
	static final Look FOREIGN = new Look(null, null, -2);

	/**
	 * Look at an entry once: its value, else its lease taken for this instance, else the
	 * time another instance's lease has left.
	 */
	Look look(String stable, @Nullable RedisValues reader) {
		byte[] token = RedisLeases.token();
		RedisBucketCalls.Replied replied;
		try {
			replied = this.calls.call("look up", lookup(stable, token));
		}
		catch (Unavailable ex) {
			return UNAVAILABLE;
		}
		return answer(stable, token, replied, reader);
	}

	/**
	 * {@link #look} without blocking: the answer is read (the value's JSON parsed) on
	 * {@code executor}, never on Lettuce's event loop.
	 */
	CompletableFuture<Look> lookAsync(String stable, @Nullable RedisValues reader, Executor executor) {
		byte[] token = RedisLeases.token();
		return this.calls.callAsync("look up", lookup(stable, token))
			.handleAsync((replied, error) -> (error != null) ? UNAVAILABLE : answer(stable, token, replied, reader),
					executor);
	}

	private LongFunction<Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<Object>>>> lookup(
			String stable, byte[] token) {
		int bucket = RedisKeyLayout.bucket(stable);
		byte[] meta = bucketMeta(bucket);
		byte[] least = this.calls.least(bucket);
		return (g) -> {
			byte[][] keys = { meta, RedisConnection.bytes(entry(bucket, g, stable)),
					RedisConnection.bytes(lease(bucket, g, stable)) };
			byte[] generation = RedisConnection.bytes(Long.toString(g));
			return (c) -> Scripts.LOOKUP.run(c, ScriptOutputType.MULTI, keys, generation, least, token,
					this.leaseMillis, this.maxValueSize);
		};
	}

	/** Read the reply of {@link Scripts#LOOKUP}. */
	private Look answer(String stable, byte[] token, RedisBucketCalls.Replied replied, @Nullable RedisValues reader) {
		List<Object> reply = replied.reply();
		long kind = (Long) reply.get(0);
		int bucket = RedisKeyLayout.bucket(stable);
		if (!versionOk(reply, bucket, replied.generation())) {
			return UNAVAILABLE;
		}
		if (kind == 5) {
			this.payloads.tooLarge();
			return FOREIGN;
		}
		if (kind == 1) {
			long ttl = (Long) reply.get(3);
			try {
				return new Look(new Found(this.payloads.read((byte[]) reply.get(2), reader), nanos(ttl)), null, -1);
			}
			catch (RuntimeException ex) {
				this.payloads.foreign(ex, reader);
				// not ours: a miss, and whoever loads next overwrites it
				return FOREIGN;
			}
		}
		if (kind == 2) {
			return new Look(null, hold(stable, bucket, replied.generation(), token), -1);
		}
		return new Look(null, null, (Long) reply.get(2));
	}

	/**
	 * Note the bucket's version a bucket script answered with; {@code false} if the bucket
	 * is older than this instance has seen (kind 4: nothing was read), which starts the
	 * repair of Redis, conditioned on the generation the script ran with.
	 */
	boolean versionOk(List<Object> reply, int bucket, long generation) {
		long v = (Long) reply.get(1);
		if ((Long) reply.get(0) == 4) {
			this.buckets.behind(generation);
			this.events.versions().foundOlder();
			return false;
		}
		this.buckets.saw(bucket, v);
		return true;
	}

	/** Read an entry without taking a lease: {@code null} if absent, not ours or too large. */
	@Nullable Found peek(String stable, @Nullable RedisValues reader) {
		int bucket = RedisKeyLayout.bucket(stable);
		byte[] meta = bucketMeta(bucket);
		byte[] least = this.calls.least(bucket);
		try {
			RedisBucketCalls.Replied replied = this.calls.call("look up", (g) -> {
				byte[][] keys = { meta, RedisConnection.bytes(entry(bucket, g, stable)) };
				byte[] generation = RedisConnection.bytes(Long.toString(g));
				return (c) -> Scripts.PEEK.run(c, ScriptOutputType.MULTI, keys, generation, least, this.maxValueSize);
			});
			List<Object> reply = replied.reply();
			if (!versionOk(reply, bucket, replied.generation()) || (Long) reply.get(0) == 0) {
				return null;
			}
			if ((Long) reply.get(0) == 5) {
				this.payloads.tooLarge();
				return null;
			}
			return new Found(this.payloads.read((byte[]) reply.get(2), reader), nanos((Long) reply.get(3)));
		}
		catch (Unavailable ex) {
			return null;
		}
		catch (RuntimeException ex) {
			this.payloads.foreign(ex, reader);
			return null;
		}
	}

	/** A lease that {@link #tryLease} could not take: another instance holds it. */
	static final Lease HELD_ELSEWHERE = new Lease("", "", new byte[0], 0, 0);

	/**
	 * Take the lease of an entry without waiting: the lease, {@link #HELD_ELSEWHERE}, or
	 * {@code null} when Redis did not answer (load without a lease).
	 */
	@Nullable Lease tryLease(String stable) {
		byte[] token = RedisLeases.token();
		try {
			return leased(stable, token, this.calls.call("take a lease", lease(stable, token)));
		}
		catch (Unavailable ex) {
			return null;
		}
	}

	/** {@link #tryLease} without blocking; {@code null} in the future when Redis did not answer. */
	CompletableFuture<@Nullable Lease> tryLeaseAsync(String stable) {
		byte[] token = RedisLeases.token();
		return this.calls.callAsync("take a lease", lease(stable, token))
			.handle((taken, error) -> (error != null) ? null : leased(stable, token, taken));
	}

	private LongFunction<Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<Object>>>> lease(
			String stable, byte[] token) {
		int bucket = RedisKeyLayout.bucket(stable);
		byte[] meta = bucketMeta(bucket);
		return (g) -> {
			byte[][] keys = { meta, RedisConnection.bytes(lease(bucket, g, stable)) };
			byte[] generation = RedisConnection.bytes(Long.toString(g));
			return (c) -> Scripts.LEASE.run(c, ScriptOutputType.MULTI, keys, generation, NONE, token,
					this.leaseMillis);
		};
	}

	private static final byte[] NONE = RedisConnection.bytes("0");

	private Lease leased(String stable, byte[] token, RedisBucketCalls.Replied replied) {
		return ((Long) replied.reply().get(0) == 1)
				? hold(stable, RedisKeyLayout.bucket(stable), replied.generation(), token) : HELD_ELSEWHERE;
	}

	Lease hold(String stable, int bucket, long generation, byte[] token) {
		Lease lease = new Lease(stable, lease(bucket, generation, stable), token, bucket, generation);
		this.leases.hold(lease.key(), token);
		return lease;
	}

	/**
	 * Write a loaded value while {@code lease} still holds (no invalidation anywhere took
	 * it away, no clear moved the cache to a new generation), and release the lease,
	 * telling the waiters; a value that cannot be written as JSON, or is larger than
	 * {@code max-value-size}, only releases it.
	 */
	void write(Lease lease, @Nullable Object value, long ttlNanos) {
		byte[] payload = this.payloads.write(value);
		if (payload == null) {
			release(lease);
			return;
		}
		try {
			written(this.connection.call(this.cache, "write", writing(lease, payload, ttlNanos)));
		}
		catch (Unavailable ex) {
			// the lease runs out by itself
		}
	}

	/**
	 * {@link #write} without blocking: on the thread that completed the method's value, the
	 * JSON is written and the command sent; nothing waits for the reply.
	 */
	void writeAsync(Lease lease, @Nullable Object value, long ttlNanos) {
		byte[] payload = this.payloads.write(value);
		if (payload == null) {
			releaseAsync(lease);
			return;
		}
		this.connection.callAsync(this.cache, "write", writing(lease, payload, ttlNanos))
			.thenAccept(this::written);
	}

	private Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<Long>> writing(Lease lease, byte[] payload,
			long ttlNanos) {
		this.leases.drop(lease.key());
		byte[] ttl = RedisConnection.bytes(Long.toString(millis(ttlNanos)));
		byte[] message = this.events.message('l', this.cache.getName(), lease.stable());
		byte[][] keys = { bucketMeta(lease.bucket()),
				RedisConnection.bytes(entry(lease.bucket(), lease.generation(), lease.stable())),
				RedisConnection.bytes(lease.key()) };
		byte[] generation = RedisConnection.bytes(Long.toString(lease.generation()));
		return (c) -> Scripts.WRITE.run(c, ScriptOutputType.INTEGER, keys, generation, lease.token(), payload, ttl,
				channel(), message);
	}

	private void written(@Nullable Long written) {
		if (written != null && written == 1) {
			this.statistics.recordWrite();
		}
	}

	/** Release {@code lease} if it is still this instance's, telling the waiters. */
	void release(Lease lease) {
		try {
			this.connection.call(this.cache, "release a lease", releasing(lease));
		}
		catch (Unavailable ex) {
			// the lease runs out by itself
		}
	}

	/** {@link #release} without blocking: nothing waits for the reply. */
	void releaseAsync(Lease lease) {
		this.connection.callAsync(this.cache, "release a lease", releasing(lease));
	}

	private Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<Long>> releasing(Lease lease) {
		this.leases.drop(lease.key());
		byte[] message = this.events.message('l', this.cache.getName(), lease.stable());
		byte[][] keys = { RedisConnection.bytes(lease.key()) };
		return (c) -> Scripts.RELEASE.run(c, ScriptOutputType.INTEGER, keys, lease.token(), channel(), message);
	}

	private static long nanos(long pttl) {
		return (pttl >= 0) ? pttl * MILLI : -1;
	}

	static long millis(long nanos) {
		return (nanos < 0) ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
	}

}
