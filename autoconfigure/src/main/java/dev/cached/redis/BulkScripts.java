package dev.cached.redis;

/**
 * The Lua scripts of a bulk load ({@link RedisBulk}), in the key layout of
 * {@link Scripts}: the meta hash is the only key in {@code KEYS}, and every entry and
 * lease of the cache shares its slot.
 */
final class BulkScripts {

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

	private BulkScripts() {
	}

}
