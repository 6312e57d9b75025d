package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;
import dev.cached.key.StableKeys;

/**
 * The Redis names of one cache and the parts of its messages. With
 * {@code <base> = <prefix>{<cache>}:} (the hash tag keeps a cache's keys in one slot):
 * <ul>
 * <li>{@code <base>meta}: a hash with the cache's version {@code v} and the generation
 * {@code g} of its entries;</li>
 * <li>{@code <base><g>:<key>}: an entry, the key in its {@link StableKeys stable form};</li>
 * <li>{@code <base><g>:lease:<key>}: the lease of a key being loaded.</li>
 * </ul>
 * A clear moves the cache to a new generation: the entries of older ones are never read
 * again, expire with their ttl, and are swept ({@link RedisVersions}).
 */
class RedisKeys {

	private static final Log logger = LogFactory.getLog(RedisEntries.class);

	protected final CachedCache cache;

	private final RedisTierSettings settings;

	private final RedisEvents events;

	private final String base;

	private final byte[] baseBytes;

	private final byte[][] meta;

	private final byte[] channel;

	private final byte[] clearTail;

	private final AtomicBoolean unstableKeyLogged = new AtomicBoolean();

	RedisKeys(RedisTierSettings settings, CachedCache cache, RedisEvents events) {
		this.cache = cache;
		this.settings = settings;
		this.events = events;
		this.base = settings.keyPrefix() + "{" + cache.getName() + "}:";
		this.baseBytes = RedisConnection.bytes(this.base);
		this.meta = new byte[][] { RedisConnection.bytes(this.base + "meta") };
		this.channel = RedisConnection.bytes(settings.channel());
		this.clearTail = events.tail(cache.getName(), null);
	}

	RedisTierSettings settings() {
		return this.settings;
	}

	CachedCache cache() {
		return this.cache;
	}

	/** The prefix of every key of this cache. */
	String base() {
		return this.base;
	}

	byte[] baseBytes() {
		return this.baseBytes;
	}

	/** The script keys of this cache: its meta hash. */
	byte[][] meta() {
		return this.meta;
	}

	byte[] channel() {
		return this.channel;
	}

	/**
	 * Return the name this instance knows a key by, whatever its generation: for the
	 * callers waiting for news of it.
	 */
	String entryKey(String stable) {
		return this.base + stable;
	}

	/** The head of a versioned message of this instance ({@link RedisEvents#head}). */
	byte[] head(char type) {
		return this.events.head(type);
	}

	/** The tail of a versioned message about {@code stable} ({@code null}: the whole cache). */
	byte[] tail(@Nullable String stable) {
		return (stable != null) ? this.events.tail(this.cache.getName(), stable) : this.clearTail;
	}

	/**
	 * Return the generation of one of this cache's keys, or -1 for the meta hash and for
	 * a key of another form.
	 */
	long generationOf(byte[] key) {
		String name = new String(key, StandardCharsets.UTF_8);
		if (!name.startsWith(this.base)) {
			return -1;
		}
		int end = name.indexOf(':', this.base.length());
		if (end <= this.base.length()) {
			return -1;
		}
		try {
			return Long.parseLong(name.substring(this.base.length(), end));
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
