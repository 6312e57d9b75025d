package dev.cached.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.engine.SingleFlight;
import dev.cached.key.StableKeys;

/**
 * One cache on the Redis tier. Every cache sends its invalidations, clears and puts to the
 * other instances; a remote one ({@code values} set) also keeps its values in Redis, under
 * {@code <prefix>{<cache>}:<key>}, and takes a lease, {@code <prefix>{<cache>}:lease:<key>},
 * for each key it loads. Keys are in their {@link StableKeys stable form}. Its commands go
 * through the tier's {@link RedisConnection}, its messages are made by {@link RedisEvents}
 * (which also wakes the callers that wait for news of a key), and {@link RedisLeases}
 * renews the leases it holds.
 */
final class RedisRemoteCache implements RemoteCache {

	private static final Log logger = LogFactory.getLog(RedisRemoteCache.class);

	private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

	/** What one look returns when the caller should look again. */
	private static final Found WAIT_AGAIN = new Found(null, 0);

	private final RedisConnection connection;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final RedisTierSettings settings;

	private final CachedCache cache;

	private final @Nullable RedisValues values;

	private final RemoteStatistics statistics;

	private final String base;

	private final String leaseBase;

	private final byte[] channel;

	private final byte[] leaseMillis;

	private final AtomicBoolean unstableKeyLogged = new AtomicBoolean();

	private final AtomicBoolean foreignPayloadLogged = new AtomicBoolean();

	RedisRemoteCache(RedisConnection connection, RedisEvents events, RedisLeases leases, RedisTierSettings settings,
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

	String entryKey(String key) {
		return this.base + key;
	}

	@Override
	public @Nullable Found lookup(Object key, SingleFlight.Load load, @Nullable Duration waitTimeout) {
		RedisValues values = this.values;
		String stable = encode(key);
		if (values == null || stable == null) {
			return null;
		}
		String entry = this.base + stable;
		String lease = this.leaseBase + stable;
		byte[][] keys = { RedisConnection.bytes(entry), RedisConnection.bytes(lease) };
		byte[] token = token();
		long deadline = (waitTimeout != null) ? System.nanoTime() + waitTimeout.toNanos() : Long.MAX_VALUE;
		CompletableFuture<Void> news = null;
		try {
			for (;;) {
				// registered before the look, so that the news of the lease's end is never missed
				news = this.events.waiter(entry);
				Found found = lookOnce(keys, token, entry, lease, load, values, deadline, news);
				if (found != WAIT_AGAIN) {
					return found;
				}
			}
		}
		finally {
			if (news != null) {
				this.events.forget(entry, news);
			}
		}
	}

	/** One look at the key, and one wait if another instance loads it: {@link #WAIT_AGAIN} to look again. */
	private @Nullable Found lookOnce(byte[][] keys, byte[] token, String entry, String lease, SingleFlight.Load load,
			RedisValues values, long deadline, CompletableFuture<Void> news) {
		List<Object> reply;
		try {
			reply = this.connection.call(this.cache, "look up",
					(c) -> c.eval(Scripts.LOOKUP, ScriptOutputType.MULTI, keys, token, this.leaseMillis));
		}
		catch (Unavailable ex) {
			this.statistics.recordMiss();
			return null;
		}
		long kind = (Long) reply.get(0);
		long leaseLeft;
		if (kind == 1) {
			long ttl = (Long) reply.get(2);
			try {
				Object value = values.read((byte[]) reply.get(1));
				this.statistics.recordHit();
				return new Found(value, (ttl >= 0) ? ttl * MILLI : -1);
			}
			catch (RuntimeException ex) {
				foreignPayload(entry, ex);
				// not ours: a miss, and whoever loads next overwrites it
				if (takeLease(keys[1], token, load, lease)) {
					this.statistics.recordMiss();
					return null;
				}
				leaseLeft = this.settings.leaseTime().toMillis();
			}
		}
		else if (kind == 2) {
			hold(load, lease, token);
			this.statistics.recordMiss();
			return null;
		}
		else {
			leaseLeft = (Long) reply.get(1);
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
		catch (java.util.concurrent.ExecutionException ex) {
			// never: the news completes normally
		}
		return WAIT_AGAIN;
	}

	@Override
	public @Nullable Found peek(Object key) {
		RedisValues values = this.values;
		String stable = encode(key);
		if (values == null || stable == null) {
			return null;
		}
		byte[][] keys = { RedisConnection.bytes(this.base + stable) };
		try {
			List<Object> reply = this.connection.call(this.cache, "look up",
					(c) -> c.eval(Scripts.PEEK, ScriptOutputType.MULTI, keys));
			if (reply.isEmpty()) {
				return null;
			}
			long ttl = (Long) reply.get(1);
			return new Found(values.read((byte[]) reply.get(0)), (ttl >= 0) ? ttl * MILLI : -1);
		}
		catch (Unavailable ex) {
			return null;
		}
		catch (RuntimeException ex) {
			foreignPayload(this.base + stable, ex);
			return null;
		}
	}

	private boolean takeLease(byte[] leaseKey, byte[] token, SingleFlight.Load load, String lease) {
		try {
			Long taken = this.connection.call(this.cache, "take a lease", (c) -> c.eval(Scripts.LEASE,
					ScriptOutputType.INTEGER, new byte[][] { leaseKey }, token, this.leaseMillis));
			if (taken != null && taken == 1) {
				hold(load, lease, token);
				return true;
			}
			return false;
		}
		catch (Unavailable ex) {
			return true;
		}
	}

	private void hold(SingleFlight.Load load, String lease, byte[] token) {
		load.attach(new Lease(lease, token));
		this.leases.hold(lease, token);
	}

	@Override
	public boolean tryLease(Object key, SingleFlight.Load load) {
		String stable = encode(key);
		if (this.values == null || stable == null) {
			return true;
		}
		String lease = this.leaseBase + stable;
		byte[] token = token();
		return takeLease(RedisConnection.bytes(lease), token, load, lease);
	}

	@Override
	public void write(Object key, @Nullable Object value, SingleFlight.Load load, long ttlNanos) {
		if (!(load.attachment() instanceof Lease lease) || this.values == null) {
			return;
		}
		load.attach(null);
		this.leases.drop(lease.key());
		String stable = lease.key().substring(this.leaseBase.length());
		byte[] payload;
		try {
			payload = this.values.write(value);
		}
		catch (RuntimeException ex) {
			this.statistics.recordError();
			logger.warn("A value of cache '" + this.cache.getName() + "' could not be written as JSON ("
					+ ex.getMessage() + "); it stays local", ex);
			releaseLease(lease, stable);
			return;
		}
		byte[][] keys = { RedisConnection.bytes(this.base + stable), RedisConnection.bytes(lease.key()) };
		byte[] ttl = RedisConnection.bytes(Long.toString(millis(ttlNanos)));
		byte[] message = this.events.message('l', this.cache.getName(), stable);
		try {
			Long written = this.connection.call(this.cache, "write", (c) -> c.eval(Scripts.WRITE, ScriptOutputType.INTEGER,
					keys, lease.token(), payload, ttl, this.channel, message));
			if (written != null && written == 1) {
				this.statistics.recordWrite();
			}
		}
		catch (Unavailable ex) {
			// the lease runs out by itself
		}
	}

	@Override
	public void release(Object key, SingleFlight.Load load) {
		if (!(load.attachment() instanceof Lease lease)) {
			return;
		}
		load.attach(null);
		this.leases.drop(lease.key());
		releaseLease(lease, lease.key().substring(this.leaseBase.length()));
	}

	private void releaseLease(Lease lease, String stable) {
		byte[] message = this.events.message('l', this.cache.getName(), stable);
		try {
			this.connection.call(this.cache, "release a lease", (c) -> c.eval(Scripts.RELEASE, ScriptOutputType.INTEGER,
					new byte[][] { RedisConnection.bytes(lease.key()) }, lease.token(), this.channel, message));
		}
		catch (Unavailable ex) {
			// the lease runs out by itself
		}
	}

	@Override
	public void invalidate(Object key) {
		String stable = encode(key);
		if (stable == null) {
			// no form the others know: they clear the cache
			publish(this.events.message('c', this.cache.getName(), null));
			return;
		}
		byte[][] keys = { RedisConnection.bytes(this.base + stable), RedisConnection.bytes(this.leaseBase + stable) };
		byte[] message = this.events.message('i', this.cache.getName(), stable);
		try {
			this.connection.call(this.cache, "invalidate", (c) -> c.eval(Scripts.INVALIDATE, ScriptOutputType.INTEGER, keys,
					this.channel, message));
		}
		catch (Unavailable ex) {
			// lost: see cached.redis.clear-on-reconnect
		}
	}

	@Override
	public void invalidateAll() {
		if (this.values != null) {
			deleteAll();
		}
		publish(this.events.message('c', this.cache.getName(), null));
	}

	private void deleteAll() {
		byte[] pattern = RedisConnection.bytes(glob(this.base) + "*");
		ScanCursor cursor = ScanCursor.INITIAL;
		try {
			do {
				ScanCursor from = cursor;
				KeyScanCursor<byte[]> page = this.connection.call(this.cache, "clear",
						(c) -> c.scan(from, ScanArgs.Builder.matches(pattern).limit(500)));
				if (!page.getKeys().isEmpty()) {
					byte[][] found = page.getKeys().toArray(new byte[0][]);
					this.connection.call(this.cache, "clear", (c) -> c.unlink(found));
				}
				cursor = page;
			}
			while (!cursor.isFinished());
		}
		catch (Unavailable ex) {
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

	@Override
	public void put(Object key, @Nullable Object value, long ttlNanos) {
		String stable = encode(key);
		if (stable == null) {
			publish(this.events.message('c', this.cache.getName(), null));
			return;
		}
		RedisValues values = this.values;
		if (values == null) {
			invalidate(key);
			return;
		}
		byte[] payload;
		try {
			payload = values.write(value);
		}
		catch (RuntimeException ex) {
			this.statistics.recordError();
			invalidate(key);
			return;
		}
		byte[][] keys = { RedisConnection.bytes(this.base + stable), RedisConnection.bytes(this.leaseBase + stable) };
		byte[] ttl = RedisConnection.bytes(Long.toString(millis(ttlNanos)));
		byte[] message = this.events.message('i', this.cache.getName(), stable);
		try {
			this.connection.call(this.cache, "put", (c) -> c.eval(Scripts.PUT, ScriptOutputType.INTEGER, keys, payload, ttl,
					this.channel, message));
			this.statistics.recordWrite();
		}
		catch (Unavailable ex) {
			// lost: see cached.redis.clear-on-reconnect
		}
	}

	private void publish(byte[] message) {
		try {
			this.connection.call(this.cache, "publish", (c) -> c.publish(this.channel, message));
		}
		catch (Unavailable ex) {
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

	private void foreignPayload(String entry, RuntimeException ex) {
		this.statistics.recordError();
		if (this.foreignPayloadLogged.compareAndSet(false, true)) {
			// the exception's message may quote the payload: only its type is logged
			logger.warn("Redis entry '" + entry + "' is not JSON of " + this.values.type() + " ("
					+ ex.getClass().getSimpleName() + "): read as a miss and overwritten by the next load; logged once "
					+ "per cache");
		}
	}

	private static long millis(long nanos) {
		return (nanos < 0) ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
	}

	private static byte[] token() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return RedisConnection.bytes(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
	}

	/** A lease this instance holds for one load. */
	private record Lease(String key, byte[] token) {
	}

}
