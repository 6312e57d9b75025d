package dev.cached.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.lettuce.core.ScriptOutputType;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.BulkCall;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Load;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.redis.RedisEntries.Lease;

/**
 * The bulk load of one remote cache ({@code @CachedAll}): the keys a bulk owner misses
 * locally go to Redis in one script that reads every entry and takes the lease of each
 * one still missing; the method runs once for the keys whose lease was taken; one more
 * script writes their values and releases the leases it does not write (refused when a
 * lease was lost, as for one key: an invalidation anywhere deletes it, a clear moves the
 * cache to a new generation, so "invalidation wins" holds per key). A key whose lease
 * another instance holds is loaded after that, through the single-key path
 * ({@link RedisRemoteCache#load}), which waits for that instance's news, so a bulk call
 * never waits while it holds leases. A key with no stable form, and every key when Redis
 * does not answer (or went back in time), are loaded locally in the same execution,
 * without a lease.
 */
final class RedisBulk {

	/**
	 * KEYS meta; ARGV base, token, lease millis, least version, largest size, then the
	 * keys. {4, v} if Redis is older than the caller has seen; else {0, v, g} followed by
	 * three items per key: {1, value, pttl} a value, {2, nil, 0} its lease taken,
	 * {3, nil, pttl} another instance's lease and its time left, {5, nil, 0} too large.
	 */
	static final String LOOKUP_ALL = """
			local m = redis.call('HMGET', KEYS[1], 'v', 'g')
			local v = tonumber(m[1] or '0')
			local g = m[2] or '0'
			if v < tonumber(ARGV[4]) then return {4, v} end
			local out = {0, v, g}
			for i = 6, #ARGV do
			  local entry = ARGV[1] .. g .. ':' .. ARGV[i]
			  local kind, value, ttl = 3, false, 0
			  if redis.call('STRLEN', entry) > tonumber(ARGV[5]) then
			    kind = 5
			  else
			    value = redis.call('GET', entry)
			    if value then
			      kind, ttl = 1, redis.call('PTTL', entry)
			    else
			      local lease = ARGV[1] .. g .. ':lease:' .. ARGV[i]
			      if redis.call('SET', lease, ARGV[2], 'NX', 'PX', ARGV[3]) then
			        kind = 2
			      else
			        ttl = redis.call('PTTL', lease)
			      end
			    end
			  end
			  out[#out + 1] = kind
			  out[#out + 1] = value
			  out[#out + 1] = ttl
			end
			return out
			""";

	/**
	 * KEYS meta; ARGV base, channel, token, then five items per key: key, lease name,
	 * message, value, ttl millis (0: none; -1: release only). Each key as
	 * {@link Scripts#WRITE} or {@link Scripts#RELEASE} does. The number of values written.
	 */
	static final String FINISH_ALL = """
			local g = redis.call('HGET', KEYS[1], 'g') or '0'
			local written = 0
			for i = 4, #ARGV, 5 do
			  local lease = ARGV[1] .. g .. ':lease:' .. ARGV[i]
			  local ttl = tonumber(ARGV[i + 4])
			  if lease ~= ARGV[i + 1] or ttl < 0 then
			    if redis.call('GET', ARGV[i + 1]) == ARGV[3] then
			      redis.call('DEL', ARGV[i + 1])
			      if lease == ARGV[i + 1] then redis.call('PUBLISH', ARGV[2], ARGV[i + 2]) end
			    end
			  elseif redis.call('GET', lease) == ARGV[3] then
			    local entry = ARGV[1] .. g .. ':' .. ARGV[i]
			    if ttl > 0 then
			      redis.call('SET', entry, ARGV[i + 3], 'PX', ttl)
			    else
			      redis.call('SET', entry, ARGV[i + 3])
			    end
			    redis.call('DEL', lease)
			    redis.call('PUBLISH', ARGV[2], ARGV[i + 2])
			    written = written + 1
			  end
			end
			return written
			""";

	private static final byte[] RELEASE_ONLY = RedisConnection.bytes("-1");

	private final RedisRemoteCache remote;

	private final RedisConnection connection;

	private final RedisEntries entries;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final CachedCache cache;

	private final RemoteStatistics statistics;

	private final byte[] leaseMillis;

	private final byte[] maxValueSize;

	RedisBulk(RedisRemoteCache remote, RedisConnection connection, RedisEntries entries, RedisEvents events,
			RedisLeases leases, RedisTierSettings settings) {
		this.remote = remote;
		this.connection = connection;
		this.entries = entries;
		this.events = events;
		this.leases = leases;
		this.cache = remote.cache();
		this.statistics = this.cache.getRemoteStatistics();
		this.leaseMillis = RedisConnection.bytes(Long.toString(Math.max(1, settings.leaseTime().toMillis())));
		this.maxValueSize = RedisConnection.bytes(Long.toString(settings.maxValueSize()));
	}

	/** See {@link RemoteCache#loadAll}. */
	Map<Object, @Nullable Object> loadAll(List<Object> keys, List<Load> loads, BulkCall call,
			boolean remote) throws Throwable {
		List<Object> local = new ArrayList<>();
		List<Object> remoteKeys = new ArrayList<>();
		List<String> stables = new ArrayList<>();
		Map<Object, Load> loadOf = new HashMap<>();
		for (int i = 0; i < keys.size(); i++) {
			Object key = keys.get(i);
			loadOf.put(key, loads.get(i));
			String stable = remote ? this.entries.remoteKey(key) : null;
			if (stable == null) {
				local.add(key);
			}
			else {
				remoteKeys.add(key);
				stables.add(stable);
			}
		}
		Map<Object, @Nullable Object> values = new HashMap<>();
		List<Object> leased = new ArrayList<>();
		List<Lease> held = new ArrayList<>();
		List<Object> oneByOne = new ArrayList<>();
		byte[] token = token();
		List<Object> reply = stables.isEmpty() ? null : lookAll(stables, token);
		if (reply == null) {
			local.addAll(remoteKeys);
		}
		else {
			String generation = RedisEntries.generation(reply.get(2));
			RedisValues reader = this.entries.payloads().reader(call.context());
			for (int i = 0; i < remoteKeys.size(); i++) {
				Object key = remoteKeys.get(i);
				long kind = (Long) reply.get(3 + 3 * i);
				if (kind == 1) {
					Object value = read((byte[]) reply.get(4 + 3 * i), reader);
					if (value != FOREIGN && (value != null || this.cache.getSettings().isCacheNullValues())) {
						this.statistics.recordHit();
						loadOf.get(key).fromSharedTier(nanos((Long) reply.get(5 + 3 * i)));
						values.put(key, value);
					}
					else {
						oneByOne.add(key);
					}
				}
				else if (kind == 2) {
					this.statistics.recordMiss();
					leased.add(key);
					held.add(this.entries.hold(stables.get(i), generation, token));
				}
				else {
					if (kind == 5) {
						this.entries.payloads().tooLarge();
					}
					oneByOne.add(key);
				}
			}
		}
		List<Object> run = new ArrayList<>(leased);
		run.addAll(local);
		if (!run.isEmpty()) {
			Map<Object, @Nullable Object> ran;
			try {
				ran = call.run(run);
			}
			catch (Throwable ex) {
				finishAll(leased, held, null, loadOf, call);
				throw ex;
			}
			finishAll(leased, held, ran, loadOf, call);
			values.putAll(ran);
		}
		// keys another instance is loading (or whose entry is not ours): one at a time, waiting for its news
		for (Object key : oneByOne) {
			values.put(key, this.remote.load(key, loadOf.get(key), call.forKey(key)));
		}
		return values;
	}

	/** One script: every entry read, the lease of each missing one taken; {@code null} if Redis did not answer. */
	private @Nullable List<Object> lookAll(List<String> stables, byte[] token) {
		byte[][] arguments = new byte[5 + stables.size()][];
		arguments[0] = this.entries.baseBytes();
		arguments[1] = token;
		arguments[2] = this.leaseMillis;
		arguments[3] = RedisConnection.bytes(Long.toString(this.entries.sequence().seen()));
		arguments[4] = this.maxValueSize;
		for (int i = 0; i < stables.size(); i++) {
			arguments[5 + i] = RedisConnection.bytes(stables.get(i));
		}
		try {
			List<Object> reply = this.connection.call(this.cache, "look up",
					(c) -> c.eval(LOOKUP_ALL, ScriptOutputType.MULTI, this.entries.meta(), arguments));
			if ((Long) reply.get(0) == 4) {
				this.events.versions().foundOlder();
				return null;
			}
			this.entries.sequence().saw((Long) reply.get(1));
			return reply;
		}
		catch (Unavailable ex) {
			return null;
		}
	}

	/**
	 * One script: the value of each leased key written (if the call gave one that may be
	 * stored and the key was not invalidated here meanwhile), every other lease released.
	 */
	private void finishAll(List<Object> leased, List<Lease> held, @Nullable Map<Object, @Nullable Object> ran,
			Map<Object, Load> loadOf, BulkCall call) {
		if (held.isEmpty()) {
			return;
		}
		byte[][] arguments = new byte[3 + 5 * held.size()][];
		arguments[0] = this.entries.baseBytes();
		arguments[1] = this.entries.channel();
		arguments[2] = held.get(0).token();
		long ttlNanos = this.cache.drawTtlNanos();
		for (int i = 0; i < held.size(); i++) {
			Lease lease = held.get(i);
			Object key = leased.get(i);
			this.leases.drop(lease.key());
			byte[] payload = null;
			if (ran != null && call.storable(key) && !loadOf.get(key).isInvalidated()) {
				Object value = ran.get(key);
				if (value != null || this.cache.getSettings().isCacheNullValues()) {
					payload = this.entries.payloads().write(value);
				}
			}
			int at = 3 + 5 * i;
			arguments[at] = RedisConnection.bytes(lease.stable());
			arguments[at + 1] = RedisConnection.bytes(lease.key());
			arguments[at + 2] = this.events.message('l', this.cache.getName(), lease.stable());
			arguments[at + 3] = (payload != null) ? payload : new byte[0];
			arguments[at + 4] = (payload != null) ? RedisConnection.bytes(Long.toString(RedisEntries.millis(ttlNanos)))
					: RELEASE_ONLY;
		}
		try {
			Long written = this.connection.call(this.cache, "write",
					(c) -> c.eval(FINISH_ALL, ScriptOutputType.INTEGER, this.entries.meta(), arguments));
			for (long i = 0; written != null && i < written; i++) {
				this.statistics.recordWrite();
			}
		}
		catch (Unavailable ex) {
			// the leases run out by themselves
		}
	}

	/** What {@link #read} answers for an entry that is not ours. */
	private static final Object FOREIGN = new Object();

	private @Nullable Object read(byte[] payload, @Nullable RedisValues reader) {
		try {
			return this.entries.payloads().read(payload, reader);
		}
		catch (RuntimeException ex) {
			this.entries.payloads().foreign(ex, reader);
			return FOREIGN;
		}
	}

	private static long nanos(long pttl) {
		return (pttl >= 0) ? pttl * 1_000_000L : -1;
	}

	private static byte[] token() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return RedisConnection.bytes(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
	}

}
