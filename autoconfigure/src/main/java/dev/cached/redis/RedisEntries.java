package dev.cached.redis;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

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
 * The Redis operations of one cache, each one command (mostly one of the {@link Scripts}):
 * look up an entry (or take its lease), read it, take and release a lease, write a
 * loaded value, put, invalidate, clear. Keys are in their {@link StableKeys stable form};
 * an entry lives under {@code <prefix>{<cache>}:<key>} and its lease under
 * {@code <prefix>{<cache>}:lease:<key>}. No operation throws: a fault is counted by the
 * tier and answered as "nothing there".
 */
final class RedisEntries {

	private static final Log logger = LogFactory.getLog(RedisEntries.class);

	private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

	private final RedisConnection connection;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final RedisTierSettings settings;

	private final CachedCache cache;

	/** How values are read and written; {@code null} for a cache whose values stay local. */
	private final @Nullable RedisValues values;

	private final RemoteStatistics statistics;

	private final String base;

	private final String leaseBase;

	private final byte[] channel;

	private final byte[] leaseMillis;

	private final AtomicBoolean unstableKeyLogged = new AtomicBoolean();

	private final AtomicBoolean foreignPayloadLogged = new AtomicBoolean();

	RedisEntries(RedisConnection connection, RedisEvents events, RedisLeases leases, RedisTierSettings settings,
			CachedCache cache, @Nullable RedisValues values) {
		this.connection = connection;
		this.events = events;
		this.leases = leases;
		this.settings = settings;
		this.cache = cache;
		this.values = values;
		this.statistics = cache.getRemoteStatistics();
		this.base = settings.keyPrefix() + "{" + cache.getName() + "}:";
		this.leaseBase = this.base + "lease:";
		this.channel = RedisConnection.bytes(settings.channel());
		this.leaseMillis = RedisConnection.bytes(Long.toString(Math.max(1, settings.leaseTime().toMillis())));
	}

	CachedCache cache() {
		return this.cache;
	}

	RemoteStatistics statistics() {
		return this.statistics;
	}

	String entryKey(String stable) {
		return this.base + stable;
	}

	String leaseKey(String stable) {
		return this.leaseBase + stable;
	}

	/** Whether this cache keeps its values in Redis. */
	boolean keepsValues() {
		return this.values != null;
	}

	/** The prefix of every key of this cache's entries (and leases). */
	String base() {
		return this.base;
	}

	byte[] channel() {
		return this.channel;
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

	/** A lease this instance holds for one load. */
	record Lease(String stable, String key, byte[] token) {
	}

	/**
	 * The answer of one look: a value ({@link Found}), the lease taken ({@link Lease}), or,
	 * with {@code leaseLeftMillis}, another instance's lease and how long it has left.
	 */
	record Look(@Nullable Found found, @Nullable Lease lease, long leaseLeftMillis) {
	}

	/** What a look answers when Redis did not: load locally, without a lease. */
	static final Look UNAVAILABLE = new Look(null, null, -1);

	/** What a look answers for an entry that is not ours: take its lease and load. */
	static final Look FOREIGN = new Look(null, null, -2);

	/**
	 * Look at an entry once: its value, else its lease taken for this instance, else the
	 * time another instance's lease has left.
	 */
	Look look(String stable) {
		byte[] token = token();
		List<Object> reply;
		try {
			reply = this.connection.call(this.cache, "look up", lookup(stable, token));
		}
		catch (Unavailable ex) {
			return UNAVAILABLE;
		}
		return answer(stable, token, reply);
	}

	/**
	 * {@link #look} without blocking: the answer is read (the value's JSON parsed) on
	 * {@code executor}, never on Lettuce's event loop.
	 */
	CompletableFuture<Look> lookAsync(String stable, Executor executor) {
		byte[] token = token();
		return this.connection.callAsync(this.cache, "look up", lookup(stable, token))
			.handleAsync((reply, error) -> (error != null) ? UNAVAILABLE : answer(stable, token, reply), executor);
	}

	private Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<Object>>> lookup(String stable,
			byte[] token) {
		byte[][] keys = { RedisConnection.bytes(this.base + stable), RedisConnection.bytes(this.leaseBase + stable) };
		return (c) -> c.eval(Scripts.LOOKUP, ScriptOutputType.MULTI, keys, token, this.leaseMillis);
	}

	/** Read the reply of {@link Scripts#LOOKUP}. */
	private Look answer(String stable, byte[] token, List<Object> reply) {
		long kind = (Long) reply.get(0);
		if (kind == 1) {
			long ttl = (Long) reply.get(2);
			try {
				return new Look(new Found(read((byte[]) reply.get(1)), nanos(ttl)), null, -1);
			}
			catch (RuntimeException ex) {
				foreignPayload(ex);
				// not ours: a miss, and whoever loads next overwrites it
				return FOREIGN;
			}
		}
		if (kind == 2) {
			return new Look(null, hold(stable, token), -1);
		}
		return new Look(null, null, (Long) reply.get(1));
	}

	/** Read an entry without taking a lease: {@code null} if absent or not ours. */
	@Nullable Found peek(String stable) {
		byte[][] keys = { RedisConnection.bytes(this.base + stable) };
		try {
			List<Object> reply = this.connection.call(this.cache, "look up",
					(c) -> c.eval(Scripts.PEEK, ScriptOutputType.MULTI, keys));
			if (reply.isEmpty()) {
				return null;
			}
			return new Found(read((byte[]) reply.get(0)), nanos((Long) reply.get(1)));
		}
		catch (Unavailable ex) {
			return null;
		}
		catch (RuntimeException ex) {
			foreignPayload(ex);
			return null;
		}
	}

	/** A lease that {@link #tryLease} could not take: another instance holds it. */
	static final Lease HELD_ELSEWHERE = new Lease("", "", new byte[0]);

	/**
	 * Take the lease of an entry without waiting: the lease, {@link #HELD_ELSEWHERE}, or
	 * {@code null} when Redis did not answer (load without a lease).
	 */
	@Nullable Lease tryLease(String stable) {
		byte[] token = token();
		try {
			return leased(stable, token, this.connection.call(this.cache, "take a lease", lease(stable, token)));
		}
		catch (Unavailable ex) {
			return null;
		}
	}

	/** {@link #tryLease} without blocking; {@code null} in the future when Redis did not answer. */
	CompletableFuture<@Nullable Lease> tryLeaseAsync(String stable) {
		byte[] token = token();
		return this.connection.callAsync(this.cache, "take a lease", lease(stable, token))
			.handle((taken, error) -> (error != null) ? null : leased(stable, token, taken));
	}

	private Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<Long>> lease(String stable,
			byte[] token) {
		byte[][] keys = { RedisConnection.bytes(this.leaseBase + stable) };
		return (c) -> c.eval(Scripts.LEASE, ScriptOutputType.INTEGER, keys, token, this.leaseMillis);
	}

	private Lease leased(String stable, byte[] token, @Nullable Long taken) {
		return (taken != null && taken == 1) ? hold(stable, token) : HELD_ELSEWHERE;
	}

	private Lease hold(String stable, byte[] token) {
		Lease lease = new Lease(stable, this.leaseBase + stable, token);
		this.leases.hold(lease.key(), token);
		return lease;
	}

	/**
	 * Write a loaded value while {@code lease} still holds (no invalidation anywhere took
	 * it away), and release the lease, telling the waiters; a value that cannot be written
	 * as JSON only releases it.
	 */
	void write(Lease lease, @Nullable Object value, long ttlNanos) {
		byte[] payload = payload(value);
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
		byte[] payload = payload(value);
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
		byte[][] keys = { RedisConnection.bytes(this.base + lease.stable()), RedisConnection.bytes(lease.key()) };
		byte[] ttl = RedisConnection.bytes(Long.toString(millis(ttlNanos)));
		byte[] message = this.events.message('l', this.cache.getName(), lease.stable());
		return (c) -> c.eval(Scripts.WRITE, ScriptOutputType.INTEGER, keys, lease.token(), payload, ttl, this.channel,
				message);
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
		return (c) -> c.eval(Scripts.RELEASE, ScriptOutputType.INTEGER, keys, lease.token(), this.channel, message);
	}

	private @Nullable Object read(byte[] payload) {
		RedisValues values = this.values;
		if (values == null) {
			throw new IllegalStateException("no values kept in Redis");
		}
		return values.read(payload);
	}

	/** The JSON of a value, or {@code null} (counted and logged) if it cannot be written. */
	byte @Nullable [] payload(@Nullable Object value) {
		RedisValues values = this.values;
		if (values == null) {
			return null;
		}
		try {
			return values.write(value);
		}
		catch (RuntimeException ex) {
			this.statistics.recordError();
			// the exception's message may quote the value: only its type is logged
			logger.warn("A value of cache '" + this.cache.getName() + "' could not be written as JSON ("
					+ ex.getClass().getSimpleName() + "); it stays local");
			return null;
		}
	}

	@Nullable String encode(Object key) {
		try {
			return StableKeys.encode(key);
		}
		catch (IllegalArgumentException ex) {
			if (this.unstableKeyLogged.compareAndSet(false, true)) {
				logger.warn("Cache '" + this.cache.getName() + "' has a key with no stable form across instances ("
						+ ex.getMessage() + "): such keys stay local, and their invalidations clear the cache on the "
						+ "other instances; logged once per cache");
			}
			return null;
		}
	}

	static @Nullable String encodeQuietly(Object key) {
		try {
			return StableKeys.encode(key);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	private void foreignPayload(RuntimeException ex) {
		this.statistics.recordError();
		if (this.foreignPayloadLogged.compareAndSet(false, true)) {
			// the exception's message may quote the payload: only its type is logged
			// neither the key (personal data, maybe) nor the exception's message (it may quote
			// the payload) is logged: the cache's name, the declared type and the reason only
			logger.warn("A Redis entry of cache '" + this.cache.getName() + "' is not JSON of "
					+ ((this.values != null) ? this.values.type() : "?") + " (" + ex.getClass().getSimpleName()
					+ "): read as a miss and overwritten by the next load; logged once per cache");
		}
	}

	private static long nanos(long pttl) {
		return (pttl >= 0) ? pttl * MILLI : -1;
	}

	static long millis(long nanos) {
		return (nanos < 0) ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
	}

	private static byte[] token() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return RedisConnection.bytes(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
	}

}
