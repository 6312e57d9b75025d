package dev.cached.redis;

import java.util.function.Function;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
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

	private final RedisRemoteCache remote;

	/** Sends the writes, or keeps those Redis does not take; the tier's. */
	private final RedisOutbox outbox;

	/** A clear of this cache, what its kept writes collapse into. */
	private final RedisOutbox.Write clear = this::sendClear;

	RedisWriter(RedisConnection connection, RedisEvents events, RedisEntries entries, RedisRemoteCache remote,
			RedisOutbox outbox) {
		this.remote = remote;
		this.outbox = outbox;
		this.connection = connection;
		this.events = events;
		this.entries = entries;
		this.cache = entries.cache();
		this.statistics = entries.statistics();
		// received invalidations name keys by their stable form: find them in O(1)
		this.cache.indexKeys(RedisEntries::encodeQuietly);
	}

	/** Delete an entry and its lease, and tell every instance. */
	void invalidate(Object key) {
		String stable = this.entries.encode(key);
		if (stable == null) {
			// no form the others know: they clear the cache
			notifyCleared();
			return;
		}
		byte[] name = RedisConnection.bytes(stable);
		byte[] head = this.entries.head('i');
		byte[] tail = this.entries.tail(stable);
		send(() -> versioned("invalidate", (c) -> Scripts.INVALIDATE.run(c, ScriptOutputType.INTEGER,
				this.entries.meta(), this.entries.baseBytes(), name, this.entries.channel(), head, tail)));
	}

	/**
	 * Clear the cache in Redis in one step (a new generation: the old entries are no longer
	 * read, whatever the size of the keyspace) and tell every instance to clear it.
	 */
	void invalidateAll() {
		send(this.clear);
	}

	private void sendClear() throws Unavailable {
		byte[] head = this.entries.head('c');
		byte[] tail = this.entries.tail(null);
		versioned("clear", (c) -> Scripts.CLEAR.run(c, ScriptOutputType.INTEGER, this.entries.meta(),
				this.entries.channel(), head, tail));
		this.events.versions().cleared(this.remote);
	}

	/** Tell every instance to clear the cache, leaving Redis' entries alone. */
	private void notifyCleared() {
		byte[] head = this.entries.head('c');
		byte[] tail = this.entries.tail(null);
		send(() -> versioned("publish", (c) -> Scripts.NOTIFY.run(c, ScriptOutputType.INTEGER,
				this.entries.meta(), this.entries.channel(), head, tail)));
	}

	/** Store a value put directly, winning over every load of the key, and tell every instance. */
	void put(Object key, @Nullable Object value, long ttlNanos) {
		String stable = this.entries.encode(key);
		if (stable == null) {
			notifyCleared();
			return;
		}
		byte[] payload = this.entries.payloads().write(value);
		if (payload == null) {
			invalidate(key);
			return;
		}
		byte[] name = RedisConnection.bytes(stable);
		byte[] ttl = RedisConnection.bytes(Long.toString(RedisEntries.millis(ttlNanos)));
		byte[] head = this.entries.head('i');
		byte[] tail = this.entries.tail(stable);
		send(() -> {
			versioned("put", (c) -> Scripts.PUT.run(c, ScriptOutputType.INTEGER, this.entries.meta(),
					this.entries.baseBytes(), name, payload, ttl, this.entries.channel(), head, tail));
			this.statistics.recordWrite();
		});
	}

	/** Run a script that raises the cache's version and wait for Redis to take it. */
	private void versioned(String what, Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<Long>> script)
			throws Unavailable {
		Long v = this.connection.call(this.cache, what, script);
		if (v != null) {
			this.entries.sequence().saw(v);
		}
	}

	/** Send a write now, or keep it to be sent in order once Redis takes it. */
	private void send(RedisOutbox.Write write) {
		this.outbox.send(this.cache.getName(), write, this.clear);
	}

	/**
	 * Another instance invalidated {@code stable}: drop every local key of that form, and
	 * detach the loads of those keys running here (G8). O(1) in the size of the local
	 * store: the cache indexes its keys by their stable form.
	 */
	void invalidatedElsewhere(String stable) {
		this.cache.invalidateLocallyByForm(stable);
	}

	void clearedElsewhere() {
		this.cache.invalidateAllLocally();
	}

}
