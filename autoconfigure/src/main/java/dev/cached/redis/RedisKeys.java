package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;
import dev.cached.key.StableKeys;

/**
 * The Redis names of one cache and the parts of its messages, in the layout of
 * {@link RedisKeyLayout}: the cache's meta hash {@code <prefix>{<cid>}:meta}, and per
 * bucket {@code <b>} of its keys the meta hash {@code <prefix>{<cid>.<b>}:m}, the entries
 * {@code <prefix>{<cid>.<b>}:<g>:<key>} and their leases
 * {@code <prefix>{<cid>.<b>}:<g>:lease:<key>} (keys in their {@link StableKeys stable
 * form}). A clear moves the cache to a new generation {@code g}: the entries of older ones
 * are never read again, expire with their ttl, and are swept ({@link RedisVersions}).
 */
class RedisKeys {

	private static final Log logger = LogFactory.getLog(RedisEntries.class);

	protected final CachedCache cache;

	private final RedisTierSettings settings;

	private final RedisEvents events;

	/** {@code <prefix>{<cid>}:}: the cache's own names, and what this instance knows a key by. */
	private final String base;

	private final String cacheId;

	private final byte[][] meta;

	private final byte[] channel;

	private final byte[] clearTail;

	private final AtomicBoolean unstableKeyLogged = new AtomicBoolean();

	RedisKeys(RedisTierSettings settings, CachedCache cache, RedisEvents events) {
		this.cache = cache;
		this.settings = settings;
		this.events = events;
		this.cacheId = RedisKeyLayout.cacheId(cache.getName());
		this.base = settings.keyPrefix() + "{" + this.cacheId + "}:";
		this.meta = new byte[][] { RedisConnection.bytes(this.base + "meta") };
		this.channel = RedisConnection.bytes(settings.channel());
		this.clearTail = events.tail(cache.getName(), null, null);
	}

	RedisTierSettings settings() {
		return this.settings;
	}

	CachedCache cache() {
		return this.cache;
	}

	/** The prefix of every name this instance knows this cache's keys by ({@link #entryKey}). */
	String base() {
		return this.base;
	}

	/** The script keys of this cache's own scripts: its meta hash. */
	byte[][] meta() {
		return this.meta;
	}

	byte[] channel() {
		return this.channel;
	}

	/** The meta hash of a bucket. */
	byte[] bucketMeta(int bucket) {
		return RedisConnection.bytes(bucketBase(bucket) + "m");
	}

	/** The name of an entry in generation {@code g}. */
	String entry(int bucket, long g, String stable) {
		return bucketBase(bucket) + g + ":" + stable;
	}

	/** The name of an entry's lease in generation {@code g}. */
	String lease(int bucket, long g, String stable) {
		return bucketBase(bucket) + g + ":lease:" + stable;
	}

	private String bucketBase(int bucket) {
		return RedisKeyLayout.bucketBase(this.settings.keyPrefix(), this.cacheId, bucket);
	}

	/** A {@code SCAN MATCH} pattern of every key of this cache's buckets. */
	String bucketsPattern() {
		return RedisKeyLayout.glob(this.settings.keyPrefix()) + "{" + this.cacheId + ".*}:*";
	}

	/**
	 * Return the name this instance knows a key by, whatever its generation and bucket: for
	 * the callers waiting for news of it.
	 */
	String entryKey(String stable) {
		return this.base + stable;
	}

	/** The head of a versioned message of this instance ({@link RedisEvents#head}). */
	byte[] head(char type) {
		return this.events.head(type);
	}

	/** The tail of a versioned message about the whole cache. */
	byte[] tail() {
		return this.clearTail;
	}

	/**
	 * The tail of a versioned message about {@code stable}, with the version its bucket was
	 * raised to ({@code null}: unknown).
	 */
	byte[] tail(String stable, @Nullable Long bucketVersion) {
		return this.events.tail(this.cache.getName(), stable, bucketVersion);
	}

	/**
	 * Return the generation of one of this cache's entries or leases, or -1 for a meta hash
	 * and for a key of another form.
	 */
	long generationOf(byte[] key) {
		String name = new String(key, StandardCharsets.UTF_8);
		String start = this.settings.keyPrefix() + "{" + this.cacheId + ".";
		if (!name.startsWith(start)) {
			return -1;
		}
		int from = name.indexOf("}:", start.length()) + 2;
		int end = name.indexOf(':', Math.max(from, 2));
		if (from < 2 || end <= from) {
			return -1;
		}
		try {
			return Long.parseLong(name.substring(from, end));
		}
		catch (NumberFormatException ex) {
			return -1;
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

}
