package dev.cached.redis;

/**
 * The Lua scripts of a bulk load ({@link RedisBulk}), in the key layout of
 * {@link Scripts}: three keys per cache key in {@code KEYS} (its bucket's meta hash, its
 * entry, its lease), each checked as the single-key scripts check them. On a single Redis
 * or Sentinel one script takes every key; on a cluster one script per node takes the keys
 * that node serves ({@link #crossSlot}), or one per bucket if that fails.
 */
final class BulkScripts {

	/**
	 * KEYS bucket meta, entry, lease per key; ARGV generation, token, lease millis,
	 * largest size, then the least version of each key's bucket. Four items per key: the
	 * kind, the value, the pttl and the bucket's version: {1, value, pttl} a value, {2, nil,
	 * 0} its lease taken, {3, nil, pttl} another instance's lease and its time left, {4}
	 * the bucket went back in time (nothing read), {5} too large, {6, nil, g} the
	 * generation is behind the bucket's {@code g} (nothing read).
	 */
	static final String LOOKUP_ALL = """
			local g = tonumber(ARGV[1])
			local out = {}
			for i = 1, #KEYS / 3 do
			  local bucket, entry, lease = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
			  local least = tonumber(ARGV[4 + i])
			  local m = redis.call('HMGET', bucket, 'v', 'g')
			  local v = tonumber(m[1] or '0')
			  local bg = tonumber(m[2] or '0')
			  local kind, value, ttl = 3, false, 0
			  if g < bg then
			    kind, ttl = 6, bg
			  else
			    if g > bg then
			      redis.call('HSET', bucket, 'g', ARGV[1])
			      if v < least then
			        redis.call('HSET', bucket, 'v', ARGV[4 + i])
			        v = least
			      end
			    end
			    if v < least then
			      kind = 4
			    elseif redis.call('STRLEN', entry) > tonumber(ARGV[4]) then
			      kind = 5
			    else
			      value = redis.call('GET', entry)
			      if value then
			        kind, ttl = 1, redis.call('PTTL', entry)
			      elseif redis.call('SET', lease, ARGV[2], 'NX', 'PX', ARGV[3]) then
			        kind = 2
			      else
			        ttl = redis.call('PTTL', lease)
			      end
			    end
			  end
			  out[#out + 1] = kind
			  out[#out + 1] = value
			  out[#out + 1] = ttl
			  out[#out + 1] = v
			end
			return out
			""";

	/**
	 * KEYS bucket meta, entry, lease per key; ARGV channel, token, then four items per
	 * key: the lease's generation, message, value, ttl millis (0: none; -1: release only).
	 * Each key as {@link Scripts#WRITE} or {@link Scripts#RELEASE} does. One item per key:
	 * 1 if its value was written, else 0.
	 */
	static final String FINISH_ALL = """
			local out = {}
			for i = 1, #KEYS / 3 do
			  local bucket, entry, lease = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
			  local a = 4 * i - 1
			  local lg, ttl = tonumber(ARGV[a]), tonumber(ARGV[a + 3])
			  local written = 0
			  if redis.call('GET', lease) == ARGV[2] then
			    redis.call('DEL', lease)
			    redis.call('PUBLISH', ARGV[1], ARGV[a + 1])
			    local bg = tonumber(redis.call('HGET', bucket, 'g') or '0')
			    if ttl >= 0 and bg <= lg then
			      if bg < lg then redis.call('HSET', bucket, 'g', ARGV[a]) end
			      if ttl > 0 then
			        redis.call('SET', entry, ARGV[a + 2], 'PX', ttl)
			      else
			        redis.call('SET', entry, ARGV[a + 2])
			      end
			      written = 1
			    end
			  end
			  out[i] = written
			end
			return out
			""";

	/**
	 * What a script for the keys of several slots of one cluster node starts with: the
	 * shebang that lets it reach keys of several slots (Redis 7), and its keys taken from
	 * its arguments. A cluster refuses a command whose declared keys hash to several slots,
	 * so such a script declares one key only (its node's), and gets the number of keys,
	 * then the keys, then its own arguments in {@code ARGV}.
	 */
	private static final String CROSS_SLOT = """
			#!lua flags=allow-cross-slot-keys
			local n = tonumber(ARGV[1])
			local names, args = {}, {}
			for i = 1, n do names[i] = ARGV[1 + i] end
			for i = n + 2, #ARGV do args[#args + 1] = ARGV[i] end
			local KEYS, ARGV = names, args
			""";

	/**
	 * Return a script's form for the keys of several slots served by one node of a cluster.
	 * @param script the script
	 * @return the script with the shebang that allows it, reading its keys from its arguments
	 */
	static String crossSlot(String script) {
		return CROSS_SLOT + script;
	}

	private BulkScripts() {
	}

}
