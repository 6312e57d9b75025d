package dev.cached.redis;

/**
 * The Lua scripts of the Redis tier; each runs atomically in Redis.
 * <p>
 * Keys of a cache, all with the hash tag {@code {<cache>}} so that they share one slot:
 * its meta hash {@code <base>meta} (fields {@code v}, the cache's version, raised by every
 * invalidation, put and clear; {@code g}, the generation of its entries, raised by every
 * clear), an entry {@code <base><g>:<key>} and its lease {@code <base><g>:lease:<key>},
 * where {@code <base>} is {@code <prefix>{<cache>}:}. The meta hash is the only key named
 * in {@code KEYS}: the entry and lease keys depend on the generation read inside the
 * script, and share the meta hash's slot.
 * <p>
 * A versioned message is published as {@code head .. v .. tail}: the script puts the
 * version it made between the parts the caller gives ({@link RedisEvents#message}).
 */
final class Scripts {

	/** Reads the meta hash: {@code v} (a number) and {@code g} (text) of the cache. */
	private static final String META = """
			local m = redis.call('HMGET', KEYS[1], 'v', 'g')
			local v = tonumber(m[1] or '0')
			local g = m[2] or '0'
			""";

	/**
	 * KEYS meta; ARGV base, key, token, lease millis, least version, largest size. The
	 * version first, then: {1, v, value, pttl} a value; {2, v, g} the lease taken;
	 * {3, v, g, pttl} another instance's lease and its remaining time; {4, v} Redis is
	 * older than the least version the caller has seen (nothing read); {5, v} the entry is
	 * larger than allowed (not read).
	 */
	static final RedisScript LOOKUP = new RedisScript(META + """
			if v < tonumber(ARGV[5]) then return {4, v} end
			local entry = ARGV[1] .. g .. ':' .. ARGV[2]
			if redis.call('STRLEN', entry) > tonumber(ARGV[6]) then return {5, v} end
			local value = redis.call('GET', entry)
			if value then return {1, v, value, redis.call('PTTL', entry)} end
			local lease = ARGV[1] .. g .. ':lease:' .. ARGV[2]
			if redis.call('SET', lease, ARGV[3], 'NX', 'PX', ARGV[4]) then return {2, v, g} end
			return {3, v, g, redis.call('PTTL', lease)}
			""");

	/**
	 * KEYS meta; ARGV base, key, least version, largest size. {1, v, value, pttl} a value;
	 * {0, v} none; {4, v} Redis is older than the caller has seen; {5, v} too large.
	 */
	static final RedisScript PEEK = new RedisScript(META + """
			if v < tonumber(ARGV[3]) then return {4, v} end
			local entry = ARGV[1] .. g .. ':' .. ARGV[2]
			if redis.call('STRLEN', entry) > tonumber(ARGV[4]) then return {5, v} end
			local value = redis.call('GET', entry)
			if value then return {1, v, value, redis.call('PTTL', entry)} end
			return {0, v}
			""");

	/** KEYS meta; ARGV base, key, token, lease millis. {1, g} if the lease was taken, else {0, g}. */
	static final RedisScript LEASE = new RedisScript(META + """
			local lease = ARGV[1] .. g .. ':lease:' .. ARGV[2]
			if redis.call('SET', lease, ARGV[3], 'NX', 'PX', ARGV[4]) then return {1, g} end
			return {0, g}
			""");

	/**
	 * KEYS meta; ARGV base, key, token, value, ttl millis (0: none), channel, message, the
	 * lease's name. Writes only while the caller's lease is the one of the current
	 * generation and holds its token (an invalidation deletes it; a clear moves the cache to
	 * a new generation, and the lease of the old one is then deleted), then releases it and
	 * tells the waiters. 1 if written.
	 */
	static final RedisScript WRITE = new RedisScript(META + """
			local lease = ARGV[1] .. g .. ':lease:' .. ARGV[2]
			if lease ~= ARGV[8] then
			  if redis.call('GET', ARGV[8]) == ARGV[3] then redis.call('DEL', ARGV[8]) end
			  return 0
			end
			if redis.call('GET', lease) ~= ARGV[3] then return 0 end
			local entry = ARGV[1] .. g .. ':' .. ARGV[2]
			if tonumber(ARGV[5]) > 0 then
			  redis.call('SET', entry, ARGV[4], 'PX', ARGV[5])
			else
			  redis.call('SET', entry, ARGV[4])
			end
			redis.call('DEL', lease)
			redis.call('PUBLISH', ARGV[6], ARGV[7])
			return 1
			""");

	/** KEYS lease; ARGV token, channel, message. Releases the lease if it is the caller's. */
	static final RedisScript RELEASE = new RedisScript("""
			if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
			redis.call('DEL', KEYS[1])
			redis.call('PUBLISH', ARGV[2], ARGV[3])
			return 1
			""");

	/** KEYS lease; ARGV token, lease millis. Extends the lease if it is the caller's. */
	static final RedisScript RENEW = new RedisScript("""
			if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
			return redis.call('PEXPIRE', KEYS[1], ARGV[2])
			""");

	/**
	 * KEYS meta; ARGV base, key, channel, message head, message tail. Deletes the entry and
	 * its lease (so that no running load writes), raises the version and publishes. The
	 * new version.
	 */
	static final RedisScript INVALIDATE = new RedisScript(META + """
			redis.call('DEL', ARGV[1] .. g .. ':' .. ARGV[2], ARGV[1] .. g .. ':lease:' .. ARGV[2])
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[3], ARGV[4] .. nv .. ARGV[5])
			return nv
			""");

	/**
	 * KEYS meta; ARGV base, key, value, ttl millis (0: none), channel, message head, message
	 * tail. A put wins over loads: writes the entry, deletes its lease, raises the version
	 * and publishes. The new version.
	 */
	static final RedisScript PUT = new RedisScript(META + """
			local entry = ARGV[1] .. g .. ':' .. ARGV[2]
			if tonumber(ARGV[4]) > 0 then
			  redis.call('SET', entry, ARGV[3], 'PX', ARGV[4])
			else
			  redis.call('SET', entry, ARGV[3])
			end
			redis.call('DEL', ARGV[1] .. g .. ':lease:' .. ARGV[2])
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[5], ARGV[6] .. nv .. ARGV[7])
			return nv
			""");

	/**
	 * KEYS meta; ARGV channel, message head, message tail. Clears the cache in one step:
	 * a new generation (the entries and leases of the old one are no longer read nor
	 * written, and expire or are swept), a new version, and the message. The new version.
	 */
	static final RedisScript CLEAR = new RedisScript("""
			redis.call('HINCRBY', KEYS[1], 'g', 1)
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[1], ARGV[2] .. nv .. ARGV[3])
			return nv
			""");

	/**
	 * KEYS meta; ARGV channel, message head, message tail. Raises the version and
	 * publishes, touching no entry (an invalidation of a key that has no stable form). The
	 * new version.
	 */
	static final RedisScript NOTIFY = new RedisScript("""
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[1], ARGV[2] .. nv .. ARGV[3])
			return nv
			""");

	/**
	 * KEYS meta; ARGV least version, channel, message head, message tail. Repairs a Redis
	 * that went back in time: if the version is below the least one the caller has seen,
	 * it is raised above it, the cache moves to a new generation (no entry of the older
	 * state is read again) and the instances are told to clear it. {v, 1} if repaired,
	 * {v, 0} if the version was not behind.
	 */
	static final RedisScript REPAIR = new RedisScript(META + """
			if v >= tonumber(ARGV[1]) then return {v, 0} end
			redis.call('HSET', KEYS[1], 'v', ARGV[1])
			redis.call('HINCRBY', KEYS[1], 'g', 1)
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[2], ARGV[3] .. nv .. ARGV[4])
			return {nv, 1}
			""");

	/** KEYS meta. The version, {@code 0} if the cache has none yet. */
	static final RedisScript VERSION = new RedisScript(META + """
			return v
			""");

	private Scripts() {
	}

}
