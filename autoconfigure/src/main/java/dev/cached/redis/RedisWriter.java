package dev.cached.redis;

import java.util.List;
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
		send(() -> inBucketThenNotify("invalidate", stable, null, null));
	}

	/**
	 * An invalidation or a put in two steps, in this order: the key's bucket (its entry and
	 * lease deleted, or the entry written, and the bucket's version raised), then the cache
	 * (its version raised, and the message published with both versions). A failed step
	 * fails the write, which the outbox keeps and sends again whole.
	 */
	private void inBucketThenNotify(String what, String stable, byte @Nullable [] payload, byte @Nullable [] ttl)
			throws Unavailable {
		byte[] head = this.entries.head('i');
		if (!this.entries.keepsValues()) {
			// no entry in Redis: the cache's version and the message only
			byte[] tail = this.entries.tail(stable, null);
			versioned("publish", (c) -> Scripts.NOTIFY.run(c, ScriptOutputType.INTEGER, this.entries.meta(),
					this.entries.channel(), head, tail));
			return;
		}
		int bucket = RedisKeyLayout.bucket(stable);
		byte[] meta = this.entries.bucketMeta(bucket);
		byte[] least = this.entries.calls().least(bucket);
		RedisBucketCalls.Replied replied = this.entries.calls().call(what, (g) -> {
			byte[][] keys = { meta, RedisConnection.bytes(this.entries.entry(bucket, g, stable)),
					RedisConnection.bytes(this.entries.lease(bucket, g, stable)) };
			byte[] generation = RedisConnection.bytes(Long.toString(g));
			return (payload != null)
					? (c) -> Scripts.PUT.run(c, ScriptOutputType.MULTI, keys, generation, least, payload, ttl)
					: (c) -> Scripts.INVALIDATE.run(c, ScriptOutputType.MULTI, keys, generation, least);
		});
		List<Object> reply = replied.reply();
		Long bucketVersion = null;
		if (this.entries.versionOk(reply, bucket, replied.generation())) {
			bucketVersion = (Long) reply.get(1);
		}
		byte[] tail = this.entries.tail(stable, bucketVersion);
		versioned("publish", (c) -> Scripts.NOTIFY.run(c, ScriptOutputType.INTEGER, this.entries.meta(),
				this.entries.channel(), head, tail));
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
		byte[] tail = this.entries.tail();
		List<Object> cleared = this.connection.call(this.cache, "clear", (c) -> Scripts.CLEAR.run(c,
				ScriptOutputType.MULTI, this.entries.meta(), this.entries.channel(), head, tail));
		this.entries.sequence().saw((Long) cleared.get(0));
		this.entries.buckets().raise((Long) cleared.get(1), false);
		this.events.versions().cleared(this.remote);
	}

	/** Tell every instance to clear the cache, leaving Redis' entries alone. */
	private void notifyCleared() {
		byte[] head = this.entries.head('c');
		byte[] tail = this.entries.tail();
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
		byte[] ttl = RedisConnection.bytes(Long.toString(RedisEntries.millis(ttlNanos)));
		send(() -> {
			inBucketThenNotify("put", stable, payload, ttl);
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
