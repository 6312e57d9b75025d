package dev.cached.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteStatistics;

/**
 * The writes of one cache on the Redis tier: a put, an invalidation or a clear reaches
 * Redis (where a remote cache's entry and lease are deleted or replaced, so that no load
 * running anywhere writes over it) and every other instance; and the other instances'
 * invalidations are applied to this instance's local store. Every write goes through the
 * tier's {@link RedisOutbox}: one that Redis does not take is kept and sent later, in
 * order, never lost; none throws.
 */
final class RedisWriter {

	private final RedisConnection connection;

	private final RedisEvents events;

	private final RedisEntries entries;

	private final CachedCache cache;

	private final RemoteStatistics statistics;

	/** Sends the writes, or keeps those Redis does not take; the tier's. */
	private final RedisOutbox outbox;

	/** A clear of this cache, what its kept writes collapse into. */
	private final RedisOutbox.Write clear = this::sendClear;

	RedisWriter(RedisConnection connection, RedisEvents events, RedisEntries entries, RedisOutbox outbox) {
		this.connection = connection;
		this.outbox = outbox;
		this.events = events;
		this.entries = entries;
		this.cache = entries.cache();
		this.statistics = entries.statistics();
	}

	/** Delete an entry and its lease, and tell every instance. */
	void invalidate(Object key) {
		String stable = this.entries.encode(key);
		if (stable == null) {
			// no form the others know: they clear the cache
			publish(this.events.message('c', this.cache.getName(), null));
			return;
		}
		byte[][] keys = { RedisConnection.bytes(this.entries.entryKey(stable)),
				RedisConnection.bytes(this.entries.leaseKey(stable)) };
		byte[] message = this.events.message('i', this.cache.getName(), stable);
		send(() -> this.connection.call(this.cache, "invalidate", (c) -> c.eval(Scripts.INVALIDATE,
				ScriptOutputType.INTEGER, keys, this.entries.channel(), message)));
	}

	/** Delete every entry of the cache (a remote one) and tell every instance to clear it. */
	void invalidateAll() {
		send(this.clear);
	}

	private void sendClear() throws Unavailable {
		if (this.entries.keepsValues()) {
			deleteAll();
		}
		sendPublish(this.events.message('c', this.cache.getName(), null));
	}

	private void deleteAll() throws Unavailable {
		byte[] pattern = RedisConnection.bytes(glob(this.entries.base()) + "*");
		ScanCursor cursor = ScanCursor.INITIAL;
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
		String stable = this.entries.encode(key);
		if (stable == null) {
			publish(this.events.message('c', this.cache.getName(), null));
			return;
		}
		byte[] payload = this.entries.payload(value);
		if (payload == null) {
			invalidate(key);
			return;
		}
		byte[][] keys = { RedisConnection.bytes(this.entries.entryKey(stable)),
				RedisConnection.bytes(this.entries.leaseKey(stable)) };
		byte[] ttl = RedisConnection.bytes(Long.toString(RedisEntries.millis(ttlNanos)));
		byte[] message = this.events.message('i', this.cache.getName(), stable);
		send(() -> {
			this.connection.call(this.cache, "put", (c) -> c.eval(Scripts.PUT, ScriptOutputType.INTEGER, keys, payload,
					ttl, this.entries.channel(), message));
			this.statistics.recordWrite();
		});
	}

	private void publish(byte[] message) {
		send(() -> sendPublish(message));
	}

	private void sendPublish(byte[] message) throws Unavailable {
		this.connection.call(this.cache, "publish", (c) -> c.publish(this.entries.channel(), message));
	}

	/** Send a write now, or keep it to be sent in order once Redis takes it. */
	private void send(RedisOutbox.Write write) {
		this.outbox.send(this.cache.getName(), write, this.clear);
	}

	/** Another instance invalidated {@code stable}: drop every local key of that form. */
	void invalidatedElsewhere(String stable) {
		this.cache.invalidateLocally((key) -> stable.equals(RedisEntries.encodeQuietly(key)));
	}

	void clearedElsewhere() {
		this.cache.invalidateAllLocally();
	}

}
