package dev.cached.redis;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
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

	private final RedisTier tier;

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

	RedisEntries(RedisTier tier, CachedCache cache, @Nullable RedisValues values) {
		this.tier = tier;
		this.cache = cache;
		this.values = values;
		this.statistics = cache.getRemoteStatistics();
		RedisTierSettings settings = tier.settings();
		this.base = settings.keyPrefix() + "{" + cache.getName() + "}:";
		this.leaseBase = this.base + "lease:";
		this.channel = RedisTier.bytes(settings.channel());
		this.leaseMillis = RedisTier.bytes(Long.toString(Math.max(1, settings.leaseTime().toMillis())));
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
		byte[][] keys = { RedisTier.bytes(this.base + stable), RedisTier.bytes(this.leaseBase + stable) };
		byte[] token = token();
		List<Object> reply;
		try {
			reply = this.tier.call(this.cache, "look up",
					(c) -> c.eval(Scripts.LOOKUP, ScriptOutputType.MULTI, keys, token, this.leaseMillis));
		}
		catch (RedisTier.Unavailable ex) {
			return UNAVAILABLE;
		}
		return answer(stable, token, reply);
	}

	/** Read the reply of {@link Scripts#LOOKUP}. */
	Look answer(String stable, byte[] token, List<Object> reply) {
		long kind = (Long) reply.get(0);
		if (kind == 1) {
			long ttl = (Long) reply.get(2);
			try {
				return new Look(new Found(read((byte[]) reply.get(1)), nanos(ttl)), null, -1);
			}
			catch (RuntimeException ex) {
				foreignPayload(stable, ex);
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
		byte[][] keys = { RedisTier.bytes(this.base + stable) };
		try {
			List<Object> reply = this.tier.call(this.cache, "look up",
					(c) -> c.eval(Scripts.PEEK, ScriptOutputType.MULTI, keys));
			if (reply.isEmpty()) {
				return null;
			}
			return new Found(read((byte[]) reply.get(0)), nanos((Long) reply.get(1)));
		}
		catch (RedisTier.Unavailable ex) {
			return null;
		}
		catch (RuntimeException ex) {
			foreignPayload(stable, ex);
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
		String lease = this.leaseBase + stable;
		try {
			Long taken = this.tier.call(this.cache, "take a lease", (c) -> c.eval(Scripts.LEASE,
					ScriptOutputType.INTEGER, new byte[][] { RedisTier.bytes(lease) }, token, this.leaseMillis));
			return (taken != null && taken == 1) ? hold(stable, token) : HELD_ELSEWHERE;
		}
		catch (RedisTier.Unavailable ex) {
			return null;
		}
	}

	private Lease hold(String stable, byte[] token) {
		Lease lease = new Lease(stable, this.leaseBase + stable, token);
		this.tier.holdLease(lease.key(), token);
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
		this.tier.dropLease(lease.key());
		byte[][] keys = { RedisTier.bytes(this.base + lease.stable()), RedisTier.bytes(lease.key()) };
		byte[] ttl = RedisTier.bytes(Long.toString(millis(ttlNanos)));
		byte[] message = this.tier.message('l', this.cache.getName(), lease.stable());
		try {
			Long written = this.tier.call(this.cache, "write", (c) -> c.eval(Scripts.WRITE, ScriptOutputType.INTEGER,
					keys, lease.token(), payload, ttl, this.channel, message));
			if (written != null && written == 1) {
				this.statistics.recordWrite();
			}
		}
		catch (RedisTier.Unavailable ex) {
			// the lease runs out by itself
		}
	}

	/** Release {@code lease} if it is still this instance's, telling the waiters. */
	void release(Lease lease) {
		this.tier.dropLease(lease.key());
		byte[] message = this.tier.message('l', this.cache.getName(), lease.stable());
		try {
			this.tier.call(this.cache, "release a lease", (c) -> c.eval(Scripts.RELEASE, ScriptOutputType.INTEGER,
					new byte[][] { RedisTier.bytes(lease.key()) }, lease.token(), this.channel, message));
		}
		catch (RedisTier.Unavailable ex) {
			// the lease runs out by itself
		}
	}

	/** Delete an entry and its lease, and tell every instance. */
	void invalidate(Object key) {
		String stable = encode(key);
		if (stable == null) {
			// no form the others know: they clear the cache
			publish(this.tier.message('c', this.cache.getName(), null));
			return;
		}
		byte[][] keys = { RedisTier.bytes(this.base + stable), RedisTier.bytes(this.leaseBase + stable) };
		byte[] message = this.tier.message('i', this.cache.getName(), stable);
		try {
			this.tier.call(this.cache, "invalidate", (c) -> c.eval(Scripts.INVALIDATE, ScriptOutputType.INTEGER, keys,
					this.channel, message));
		}
		catch (RedisTier.Unavailable ex) {
			// lost: see cached.redis.clear-on-reconnect
		}
	}

	/** Delete every entry of the cache (a remote one) and tell every instance to clear it. */
	void invalidateAll() {
		if (this.values != null) {
			deleteAll();
		}
		publish(this.tier.message('c', this.cache.getName(), null));
	}

	private void deleteAll() {
		byte[] pattern = RedisTier.bytes(glob(this.base) + "*");
		ScanCursor cursor = ScanCursor.INITIAL;
		try {
			do {
				ScanCursor from = cursor;
				KeyScanCursor<byte[]> page = this.tier.call(this.cache, "clear",
						(c) -> c.scan(from, ScanArgs.Builder.matches(pattern).limit(500)));
				if (!page.getKeys().isEmpty()) {
					byte[][] found = page.getKeys().toArray(new byte[0][]);
					this.tier.call(this.cache, "clear", (c) -> c.unlink(found));
				}
				cursor = page;
			}
			while (!cursor.isFinished());
		}
		catch (RedisTier.Unavailable ex) {
			// lost: what is left expires with its ttl
		}
	}

	private static String glob(String text) {
		StringBuilder escaped = new StringBuilder(text.length() + 8);
		for (int i = 0; i < text.length(); i++) {
			char ch = text.charAt(i);
			if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') {
				escaped.append('\\');
			}
			escaped.append(ch);
		}
		return escaped.toString();
	}

	/** Store a value put directly, winning over every load of the key, and tell every instance. */
	void put(Object key, @Nullable Object value, long ttlNanos) {
		String stable = encode(key);
		if (stable == null) {
			publish(this.tier.message('c', this.cache.getName(), null));
			return;
		}
		byte[] payload = (this.values != null) ? payload(value) : null;
		if (payload == null) {
			invalidate(key);
			return;
		}
		byte[][] keys = { RedisTier.bytes(this.base + stable), RedisTier.bytes(this.leaseBase + stable) };
		byte[] ttl = RedisTier.bytes(Long.toString(millis(ttlNanos)));
		byte[] message = this.tier.message('i', this.cache.getName(), stable);
		try {
			this.tier.call(this.cache, "put", (c) -> c.eval(Scripts.PUT, ScriptOutputType.INTEGER, keys, payload, ttl,
					this.channel, message));
			this.statistics.recordWrite();
		}
		catch (RedisTier.Unavailable ex) {
			// lost: see cached.redis.clear-on-reconnect
		}
	}

	private void publish(byte[] message) {
		try {
			this.tier.call(this.cache, "publish", (c) -> c.publish(this.channel, message));
		}
		catch (RedisTier.Unavailable ex) {
			// lost: see cached.redis.clear-on-reconnect
		}
	}

	/** Another instance invalidated {@code stable}: drop every local key of that form. */
	void invalidatedElsewhere(String stable) {
		this.cache.invalidateLocally((key) -> stable.equals(encodeQuietly(key)));
	}

	void clearedElsewhere() {
		this.cache.invalidateAllLocally();
	}

	private @Nullable Object read(byte[] payload) {
		RedisValues values = this.values;
		if (values == null) {
			throw new IllegalStateException("no values kept in Redis");
		}
		return values.read(payload);
	}

	/** The JSON of a value, or {@code null} (counted and logged) if it cannot be written. */
	private byte @Nullable [] payload(@Nullable Object value) {
		RedisValues values = this.values;
		if (values == null) {
			return null;
		}
		try {
			return values.write(value);
		}
		catch (RuntimeException ex) {
			this.statistics.recordError();
			logger.warn("A value of cache '" + this.cache.getName() + "' could not be written as JSON ("
					+ ex.getMessage() + "); it stays local", ex);
			return null;
		}
	}

	private @Nullable String encode(Object key) {
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

	private static @Nullable String encodeQuietly(Object key) {
		try {
			return StableKeys.encode(key);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	private void foreignPayload(String stable, RuntimeException ex) {
		this.statistics.recordError();
		if (this.foreignPayloadLogged.compareAndSet(false, true)) {
			// the exception's message may quote the payload: only its type is logged
			logger.warn("Redis entry '" + this.base + stable + "' is not JSON of "
					+ ((this.values != null) ? this.values.type() : "?") + " (" + ex.getClass().getSimpleName()
					+ "): read as a miss and overwritten by the next load; logged once per cache");
		}
	}

	private static long nanos(long pttl) {
		return (pttl >= 0) ? pttl * MILLI : -1;
	}

	private static long millis(long nanos) {
		return (nanos < 0) ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
	}

	private static byte[] token() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return RedisTier.bytes(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
	}

}
