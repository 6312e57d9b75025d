package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongFunction;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;

/**
 * Runs one cache's bucket scripts ({@link Scripts}) with the cache's generation
 * ({@link RedisBuckets}): when this instance does not know it, the cache's meta hash is
 * read first ({@code HMGET}, one more round trip; a meta hash whose version or generation
 * is below what this instance saw went back in time, and its repair starts). A script that
 * answers that the generation is behind ({@code {6, v, g}}) raises it and runs once more,
 * after the meta hash is read again; a second such answer goes local.
 */
final class RedisBucketCalls {

	private static final byte[] V = RedisConnection.bytes("v");

	private static final byte[] G = RedisConnection.bytes("g");

	private final RedisConnection connection;

	private final RedisKeys keys;

	private final RedisSequence sequence;

	private final RedisBuckets buckets;

	private final RedisEvents events;

	private final CachedCache cache;

	RedisBucketCalls(RedisConnection connection, RedisKeys keys, RedisSequence sequence, RedisBuckets buckets,
			RedisEvents events) {
		this.connection = connection;
		this.keys = keys;
		this.sequence = sequence;
		this.buckets = buckets;
		this.events = events;
		this.cache = keys.cache();
	}

	/** A bucket script's reply, and the generation it ran with. */
	record Replied(long generation, List<Object> reply) {
	}

	/**
	 * Return the cache's generation, read from its meta hash if this instance does not know
	 * it.
	 */
	long generation() throws Unavailable {
		long g = this.buckets.generation();
		if (g >= 0) {
			return g;
		}
		long epoch = this.buckets.epoch();
		long seen = this.sequence.seen();
		long highest = this.buckets.highest();
		return learned(this.connection.call(this.cache, "read a generation", readMeta()), epoch, seen, highest);
	}

	/** {@link #generation()} without blocking; it fails with {@link Unavailable}. */
	CompletableFuture<Long> generationAsync() {
		long g = this.buckets.generation();
		if (g >= 0) {
			return CompletableFuture.completedFuture(g);
		}
		long epoch = this.buckets.epoch();
		long seen = this.sequence.seen();
		long highest = this.buckets.highest();
		return this.connection.callAsync(this.cache, "read a generation", readMeta())
			.thenApply((meta) -> learned(meta, epoch, seen, highest));
	}

	private Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<KeyValue<byte[], byte[]>>>> readMeta() {
		byte[] meta = this.keys.meta()[0];
		return (c) -> c.hmget(meta, V, G);
	}

	private long learned(List<KeyValue<byte[], byte[]>> meta, long epoch, long seen, long highest) {
		long v = number(meta.get(0).getValueOrElse(null));
		long g = number(meta.get(1).getValueOrElse(null));
		if (v < seen || g < highest) {
			// the meta hash went back in time: repaired in the background, and this instance
			// goes on with the higher generation it knows
			this.events.versions().foundOlder();
		}
		else {
			this.sequence.saw(v);
		}
		return this.buckets.learned(g, epoch);
	}

	static long number(byte @Nullable [] value) {
		return (value != null) ? Long.parseLong(new String(value, StandardCharsets.UTF_8)) : 0;
	}

	/**
	 * Run a bucket script with the cache's generation and wait for its reply.
	 * @param what the command, for the log
	 * @param script the script, given the generation
	 * @return the reply, never one of a generation behind
	 * @throws Unavailable if Redis did not answer, or answered twice that the generation
	 * was behind
	 */
	Replied call(String what,
			LongFunction<Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<Object>>>> script)
			throws Unavailable {
		for (int attempt = 0;; attempt++) {
			long g = generation();
			List<Object> reply = this.connection.call(this.cache, what, script.apply(g));
			if (!stale(reply)) {
				return new Replied(g, reply);
			}
			if (attempt > 0) {
				throw Unavailable.QUIET;
			}
		}
	}

	/** {@link #call} without blocking: the future completes on Lettuce's event loop, or fails. */
	CompletableFuture<Replied> callAsync(String what,
			LongFunction<Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<Object>>>> script) {
		return callAsync(what, script, 1);
	}

	private CompletableFuture<Replied> callAsync(String what,
			LongFunction<Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<List<Object>>>> script,
			int retries) {
		return generationAsync().thenCompose((g) -> this.connection.callAsync(this.cache, what, script.apply(g))
			.thenCompose((reply) -> {
				if (!stale(reply)) {
					return CompletableFuture.completedFuture(new Replied(g, reply));
				}
				return (retries > 0) ? callAsync(what, script, retries - 1)
						: CompletableFuture.failedFuture(Unavailable.QUIET);
			}));
	}

	/**
	 * Whether a bucket answered that the generation is behind ({@code {6, v, g}}): then
	 * the bucket's is used from now on, and the meta hash is read again before the next
	 * call.
	 */
	boolean stale(List<Object> reply) {
		if ((Long) reply.get(0) != 6) {
			return false;
		}
		this.buckets.raise((Long) reply.get(2), true);
		return true;
	}

	/** The least version of a bucket, as a script's argument. */
	byte[] least(int bucket) {
		return RedisConnection.bytes(Long.toString(this.buckets.least(bucket)));
	}

	RedisBuckets buckets() {
		return this.buckets;
	}

}
