package dev.cached.redis;

/**
 * The Lua scripts of the Redis tier; each runs atomically in Redis. Keys: an entry
 * ({@code <prefix>{<cache>}:<key>}) and its lease ({@code <prefix>{<cache>}:lease:<key>}).
 */
final class Scripts {

	/**
	 * KEYS entry, lease; ARGV token, lease millis. The value and its remaining ttl
	 * ({1, value, pttl}); else the lease taken ({2}); else the lease's remaining time
	 * ({3, pttl}).
	 */
	static final String LOOKUP = """
			local v = redis.call('GET', KEYS[1])
			if v then return {1, v, redis.call('PTTL', KEYS[1])} end
			if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
			return {3, redis.call('PTTL', KEYS[2])}
			""";

	/** KEYS entry. The value and its remaining ttl ({value, pttl}), or {} if absent. */
	static final String PEEK = """
			local v = redis.call('GET', KEYS[1])
			if v then return {v, redis.call('PTTL', KEYS[1])} end
			return {}
			""";

	/** KEYS lease; ARGV token, lease millis. 1 if the lease was taken. */
	static final String LEASE = """
			if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
			return 0
			""";

	/**
	 * KEYS entry, lease; ARGV token, value, ttl millis (0: none), channel, message. Writes
	 * only while the lease is the caller's (an invalidation deletes it), then releases it
	 * and tells the waiters. 1 if written.
	 */
	static final String WRITE = """
			if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
			if tonumber(ARGV[3]) > 0 then
			  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
			else
			  redis.call('SET', KEYS[1], ARGV[2])
			end
			redis.call('DEL', KEYS[2])
			redis.call('PUBLISH', ARGV[4], ARGV[5])
			return 1
			""";

	/** KEYS lease; ARGV token, channel, message. Releases the lease if it is the caller's. */
	static final String RELEASE = """
			if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
			redis.call('DEL', KEYS[1])
			redis.call('PUBLISH', ARGV[2], ARGV[3])
			return 1
			""";

	/** KEYS lease; ARGV token, lease millis. Extends the lease if it is the caller's. */
	static final String RENEW = """
			if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
			return redis.call('PEXPIRE', KEYS[1], ARGV[2])
			""";

	/** KEYS entry, lease; ARGV channel, message. Deletes both, so no running load writes. */
	static final String INVALIDATE = """
			redis.call('DEL', KEYS[1], KEYS[2])
			redis.call('PUBLISH', ARGV[1], ARGV[2])
			return 1
			""";

	/** KEYS entry, lease; ARGV value, ttl millis (0: none), channel, message. A put wins over loads. */
	static final String PUT = """
			if tonumber(ARGV[2]) > 0 then
			  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
			else
			  redis.call('SET', KEYS[1], ARGV[1])
			end
			redis.call('DEL', KEYS[2])
			redis.call('PUBLISH', ARGV[3], ARGV[4])
			return 1
			""";

	private Scripts() {
	}

}
