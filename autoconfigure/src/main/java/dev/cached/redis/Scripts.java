package dev.cached.redis;

/**
 * The Lua scripts of the Redis tier; each runs atomically in Redis.
 * <p>
 * The key layout is {@link RedisKeyLayout}'s: a cache's meta hash
 * {@code <prefix>{<cid>}:meta} ({@code v} the cache's version, raised by every
 * invalidation, put and clear, each with one message; {@code g} the generation of its
 * entries, raised by every clear), and per bucket {@code <b>} of its keys a meta hash
 * {@code <prefix>{<cid>.<b>}:m} ({@code v} the bucket's version, raised by every
 * invalidation and put of one of its keys; {@code g} the highest generation used in the
 * bucket), the entries {@code <prefix>{<cid>.<b>}:<g>:<key>} and their leases
 * {@code <prefix>{<cid>.<b>}:<g>:lease:<key>}, all in the bucket's slot. Every script
 * declares all its keys in {@code KEYS} and touches one slot: the cache's scripts its
 * meta hash, the bucket scripts a bucket's.
 * <p>
 * The caller knows the cache's generation ({@link RedisBuckets}) and passes it to every
 * bucket script, which first reads the bucket's meta hash: a generation below the
 * bucket's is answered {@code {6, v, bucket g}} (the caller raises its own and reads the
 * cache's meta hash again), a higher one is written to the bucket. A bucket whose version
 * is below the least one the caller has seen went back in time and is answered
 * {@code {4, v}}, nothing read; a bucket first used in a generation cannot hold an entry
 * of it, and its version is then simply raised to the least one seen.
 * <p>
 * A versioned message is published as {@code head .. v .. tail}: the script puts the
 * version it made between the parts the caller gives ({@link RedisEvents#message}).
 */
final class Scripts {

	/**
	 * KEYS[1] the bucket's meta hash; ARGV[1] the caller's generation, ARGV[2] the least
	 * version of the bucket it has seen. Sets {@code v} and {@code older}.
	 */
	private static final String BUCKET = """
			local m = redis.call('HMGET', KEYS[1], 'v', 'g')
			local v = tonumber(m[1] or '0')
			local bg = tonumber(m[2] or '0')
			local g = tonumber(ARGV[1])
			if g < bg then return {6, v, bg} end
			local older = false
			if g > bg then
			  redis.call('HSET', KEYS[1], 'g', ARGV[1])
			  if v < tonumber(ARGV[2]) then
			    redis.call('HSET', KEYS[1], 'v', ARGV[2])
			    v = tonumber(ARGV[2])
			  end
			else
			  older = v < tonumber(ARGV[2])
			end
			""";

	/**
	 * KEYS bucket meta, entry, lease; ARGV generation, least version, token, lease millis,
	 * largest size. The bucket's version second, then: {1, v, value, pttl} a value; {2, v}
	 * the lease taken; {3, v, pttl} another instance's lease and its remaining time; {4, v}
	 * the bucket is older than the caller has seen (nothing read); {5, v} the entry is
	 * larger than allowed (not read); {6, v, g} the caller's generation is behind.
	 */
	static final RedisScript LOOKUP = new RedisScript(BUCKET + """
			if older then return {4, v} end
			if redis.call('STRLEN', KEYS[2]) > tonumber(ARGV[5]) then return {5, v} end
			local value = redis.call('GET', KEYS[2])
			if value then return {1, v, value, redis.call('PTTL', KEYS[2])} end
			if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[4]) then return {2, v} end
			return {3, v, redis.call('PTTL', KEYS[3])}
			""");

	/**
	 * KEYS bucket meta, entry; ARGV generation, least version, largest size.
	 * {1, v, value, pttl} a value; {0, v} none; {4, v} older; {5, v} too large; {6, v, g}.
	 */
	static final RedisScript PEEK = new RedisScript(BUCKET + """
			if older then return {4, v} end
			if redis.call('STRLEN', KEYS[2]) > tonumber(ARGV[3]) then return {5, v} end
			local value = redis.call('GET', KEYS[2])
			if value then return {1, v, value, redis.call('PTTL', KEYS[2])} end
			return {0, v}
			""");

	/**
	 * KEYS bucket meta, lease; ARGV generation, least version, token, lease millis. {1, v}
	 * if the lease was taken, {0, v} if another instance holds it, {6, v, g}.
	 */
	static final RedisScript LEASE = new RedisScript(BUCKET + """
			if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return {1, v} end
			return {0, v}
			""");

	/**
	 * KEYS bucket meta, entry, lease; ARGV the lease's generation, token, value, ttl millis
	 * (0: none), channel, message. Writes only while the caller's lease holds its token (an
	 * invalidation deletes it) and no later generation is used in the bucket (a clear moved
	 * the cache on), then releases it and tells the waiters. 1 if written.
	 */
	static final RedisScript WRITE = new RedisScript("""
			if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
			redis.call('DEL', KEYS[3])
			redis.call('PUBLISH', ARGV[5], ARGV[6])
			local bg = tonumber(redis.call('HGET', KEYS[1], 'g') or '0')
			if bg > tonumber(ARGV[1]) then return 0 end
			if bg < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'g', ARGV[1]) end
			if tonumber(ARGV[4]) > 0 then
			  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
			else
			  redis.call('SET', KEYS[2], ARGV[3])
			end
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
	 * The bucket's part of an invalidation. KEYS bucket meta, entry, lease; ARGV
	 * generation, least version. Deletes the entry and its lease (so that no running load
	 * writes) and raises the bucket's version: {0, the new version}; {4, v} if the bucket
	 * went back in time (deleted, version left as it is); {6, v, g} (nothing done).
	 */
	static final RedisScript INVALIDATE = new RedisScript(BUCKET + """
			redis.call('DEL', KEYS[2], KEYS[3])
			if older then return {4, v} end
			return {0, redis.call('HINCRBY', KEYS[1], 'v', 1)}
			""");

	/**
	 * The bucket's part of a put. KEYS bucket meta, entry, lease; ARGV generation, least
	 * version, value, ttl millis (0: none). A put wins over loads: writes the entry,
	 * deletes its lease and raises the bucket's version; answers as {@link #INVALIDATE}.
	 */
	static final RedisScript PUT = new RedisScript(BUCKET + """
			if tonumber(ARGV[4]) > 0 then
			  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
			else
			  redis.call('SET', KEYS[2], ARGV[3])
			end
			redis.call('DEL', KEYS[3])
			if older then return {4, v} end
			return {0, redis.call('HINCRBY', KEYS[1], 'v', 1)}
			""");

	/**
	 * KEYS cache meta; ARGV channel, message head, message tail. Clears the cache in one
	 * step: a new generation (the entries and leases of the old one are no longer read nor
	 * written, and expire or are swept), a new version, and the message. {v, g}, the new
	 * version and generation.
	 */
	static final RedisScript CLEAR = new RedisScript("""
			local g = redis.call('HINCRBY', KEYS[1], 'g', 1)
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[1], ARGV[2] .. nv .. ARGV[3])
			return {nv, g}
			""");

	/**
	 * KEYS cache meta; ARGV channel, message head, message tail. Raises the cache's version
	 * and publishes: the second step of an invalidation or a put (after the bucket's part),
	 * or an invalidation of a key that has no stable form. The new version.
	 */
	static final RedisScript NOTIFY = new RedisScript("""
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[1], ARGV[2] .. nv .. ARGV[3])
			return nv
			""");

	/**
	 * KEYS cache meta; ARGV least version, highest generation seen, the generation of a
	 * read that found a bucket behind (-1: none), channel, message head, message tail.
	 * Repairs a Redis that went back in time: if the cache's version or generation is below
	 * the least one the caller has seen, or a bucket was found behind and no repair or clear
	 * moved the generation past the one that read it, the version is raised above the one
	 * seen, the cache moves to a generation never used before (no entry of the older state
	 * is read again) and the instances are told to clear it. {v, 1, g} if repaired,
	 * {v, 0, g} if not.
	 */
	static final RedisScript REPAIR = new RedisScript("""
			local m = redis.call('HMGET', KEYS[1], 'v', 'g')
			local v = tonumber(m[1] or '0')
			local g = tonumber(m[2] or '0')
			local seen = tonumber(ARGV[2])
			local behind = v < tonumber(ARGV[1]) or g < seen
			if tonumber(ARGV[3]) >= 0 and g <= tonumber(ARGV[3]) then behind = true end
			if not behind then return {v, 0, g} end
			if v < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'v', ARGV[1]) end
			local ng = math.max(g, seen) + 1
			redis.call('HSET', KEYS[1], 'g', ng)
			local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
			redis.call('PUBLISH', ARGV[4], ARGV[5] .. nv .. ARGV[6])
			return {nv, 1, ng}
			""");

	private Scripts() {
	}

}
