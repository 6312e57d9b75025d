package dev.cached.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.AsyncBulkCall;
import dev.cached.engine.BulkCall;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Load;
import dev.cached.engine.RemoteCache;
import dev.cached.engine.RemoteStatistics;
import dev.cached.redis.RedisEntries.Lease;

/**
 * The bulk load of one remote cache ({@code @CachedAll}): the keys a bulk owner misses
 * locally go to Redis in one script that reads every entry and takes the lease of each
 * one still missing; the method runs once for the keys whose lease was taken; one more
 * script writes their values and releases the leases it does not write (refused when a
 * lease was lost, as for one key: an invalidation anywhere deletes it, a clear moves the
 * cache to a new generation, so "invalidation wins" holds per key). A key whose lease
 * another instance holds is loaded after that, through the single-key path
 * ({@link RedisRemoteCache#load}), which waits for that instance's news, so a bulk call
 * never waits while it holds leases. A key with no stable form, and every key when Redis
 * does not answer (or went back in time), are loaded locally in the same execution,
 * without a lease. The asynchronous form ({@link #loadAllAsync}) takes the same steps
 * without blocking: the method starts where Redis answered, on the given executor, and
 * the write is sent without waiting for its reply.
 */
final class RedisBulk {

	private static final byte[] RELEASE_ONLY = RedisConnection.bytes("-1");

	private final RedisRemoteCache remote;

	private final RedisConnection connection;

	private final RedisEntries entries;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final CachedCache cache;

	private final RemoteStatistics statistics;

	private final byte[] leaseMillis;

	private final byte[] maxValueSize;

	RedisBulk(RedisRemoteCache remote, RedisConnection connection, RedisEntries entries, RedisEvents events,
			RedisLeases leases, RedisTierSettings settings) {
		this.remote = remote;
		this.connection = connection;
		this.entries = entries;
		this.events = events;
		this.leases = leases;
		this.cache = remote.cache();
		this.statistics = this.cache.getRemoteStatistics();
		this.leaseMillis = RedisConnection.bytes(Long.toString(Math.max(1, settings.leaseTime().toMillis())));
		this.maxValueSize = RedisConnection.bytes(Long.toString(settings.maxValueSize()));
	}

	/** See {@link RemoteCache#loadAll}. */
	Map<Object, @Nullable Object> loadAll(List<Object> keys, List<Load> loads, BulkCall call, boolean remote)
			throws Throwable {
		Plan plan = new Plan(keys, loads, remote);
		plan.classify(plan.stables.isEmpty() ? null : lookAll(plan.stables, plan.token),
				this.entries.payloads().reader(call.context()));
		List<Object> run = plan.run();
		if (!run.isEmpty()) {
			Map<Object, @Nullable Object> ran;
			try {
				ran = call.run(run);
			}
			catch (Throwable ex) {
				finishAll(plan, null, call::storable, false);
				throw ex;
			}
			finishAll(plan, ran, call::storable, false);
			ran.forEach(plan::put);
		}
		// keys another instance is loading (or whose entry is not ours): one at a time, waiting for its news
		for (Object key : plan.oneByOne) {
			plan.put(key, this.remote.load(key, plan.loadOf.get(key), call.forKey(key)));
		}
		return plan.values;
	}

	/**
	 * See {@link RemoteCache#loadAllAsync}: the same steps without blocking; the method
	 * starts where Redis answered, on {@code executor}, with a copy of the caller's context.
	 */
	CompletionStage<Map<Object, @Nullable Object>> loadAllAsync(List<Object> keys, List<Load> loads,
			AsyncBulkCall call, boolean remote, Executor executor) {
		Plan plan = new Plan(keys, loads, remote);
		AsyncBulkCall detached = call.detach();
		RedisValues reader = this.entries.payloads().reader(call.context());
		CompletableFuture<Map<Object, @Nullable Object>> result = new CompletableFuture<>();
		CompletableFuture<@Nullable List<Object>> looked = plan.stables.isEmpty()
				? CompletableFuture.completedFuture(null) : lookAllAsync(plan.stables, plan.token);
		looked.whenCompleteAsync((reply, error) -> {
			// off Lettuce's event loop: the version check, the JSON, the method
			plan.classify((reply != null) ? checked(reply) : null, reader);
			List<Object> run = plan.run();
			CompletionStage<Map<Object, @Nullable Object>> ran;
			try {
				ran = run.isEmpty() ? CompletableFuture.completedFuture(Map.of()) : detached.start(run);
			}
			catch (Throwable ex) {
				finishAll(plan, null, detached::storable, true);
				result.completeExceptionally(ex);
				return;
			}
			ran.whenComplete((values, failure) -> {
				finishAll(plan, (failure != null) ? null : values, detached::storable, true);
				if (failure != null) {
					result.completeExceptionally(failure);
					return;
				}
				values.forEach(plan::put);
				List<CompletableFuture<?>> each = new ArrayList<>();
				for (Object key : plan.oneByOne) {
					CompletableFuture<@Nullable Object> one = new CompletableFuture<>();
					try {
						CompletionStage<?> stage = this.remote.loadAsync(key, plan.loadOf.get(key), detached.forKey(key));
						if (stage == null) {
							one.complete(null);
						}
						else {
							stage.whenComplete((value, oneFailure) -> {
								if (oneFailure != null) {
									one.completeExceptionally(oneFailure);
								}
								else {
									one.complete(value);
								}
							});
						}
					}
					catch (Throwable ex) {
						one.completeExceptionally(ex);
					}
					each.add(one.thenAccept((value) -> plan.put(key, value)));
				}
				CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).whenComplete((done, oneFailure) -> {
					if (oneFailure != null) {
						result.completeExceptionally(oneFailure);
					}
					else {
						result.complete(plan.values);
					}
				});
			});
		}, executor);
		return result;
	}

	/** {@link #lookAll} without blocking: {@code null} in the future if Redis did not answer. */
	private CompletableFuture<@Nullable List<Object>> lookAllAsync(List<String> stables, byte[] token) {
		byte[][] arguments = lookArguments(stables, token);
		return this.connection.<List<Object>>callAsync(this.cache, "look up",
				(c) -> c.eval(BulkScripts.LOOKUP_ALL, ScriptOutputType.MULTI, this.entries.meta(), arguments))
			.handle((reply, error) -> (error != null) ? null : reply);
	}

	/**
	 * The keys of one bulk load: those kept locally, those looked up in Redis (their stable
	 * forms) and, once Redis answered, what it answered for each.
	 */
	private final class Plan {

		final byte[] token = token();

		final List<Object> local = new ArrayList<>();

		final List<Object> remoteKeys = new ArrayList<>();

		final List<String> stables = new ArrayList<>();

		final Map<Object, Load> loadOf = new HashMap<>();

		final Map<Object, @Nullable Object> values = new ConcurrentHashMap<>();

		final List<Object> leased = new ArrayList<>();

		final List<Lease> held = new ArrayList<>();

		final List<Object> oneByOne = new ArrayList<>();

		Plan(List<Object> keys, List<Load> loads, boolean remote) {
			for (int i = 0; i < keys.size(); i++) {
				Object key = keys.get(i);
				this.loadOf.put(key, loads.get(i));
				String stable = remote ? RedisBulk.this.entries.remoteKey(key) : null;
				if (stable == null) {
					this.local.add(key);
				}
				else {
					this.remoteKeys.add(key);
					this.stables.add(stable);
				}
			}
		}

		/** Sort the keys by Redis' answer ({@code null}: none, load them locally). */
		void classify(@Nullable List<Object> reply, @Nullable RedisValues reader) {
			if (reply == null) {
				this.local.addAll(this.remoteKeys);
				return;
			}
			String generation = RedisEntries.generation(reply.get(2));
			for (int i = 0; i < this.remoteKeys.size(); i++) {
				Object key = this.remoteKeys.get(i);
				long kind = (Long) reply.get(3 + 3 * i);
				if (kind == 1) {
					Object value = read((byte[]) reply.get(4 + 3 * i), reader);
					if (value != FOREIGN && (value != null || RedisBulk.this.cache.getSettings().isCacheNullValues())) {
						RedisBulk.this.statistics.recordHit();
						this.loadOf.get(key).fromSharedTier(nanos((Long) reply.get(5 + 3 * i)));
						put(key, value);
					}
					else {
						this.oneByOne.add(key);
					}
				}
				else if (kind == 2) {
					RedisBulk.this.statistics.recordMiss();
					this.leased.add(key);
					this.held.add(RedisBulk.this.entries.hold(this.stables.get(i), generation, this.token));
				}
				else {
					if (kind == 5) {
						RedisBulk.this.entries.payloads().tooLarge();
					}
					this.oneByOne.add(key);
				}
			}
		}

		/** Keep a value ({@code null}: no value, left out). */
		void put(Object key, @Nullable Object value) {
			if (value != null) {
				this.values.put(key, value);
			}
		}

		/** The keys this call runs the method for: those leased, and those kept locally. */
		List<Object> run() {
			List<Object> run = new ArrayList<>(this.leased);
			run.addAll(this.local);
			return run;
		}

	}

	/** One script: every entry read, the lease of each missing one taken; {@code null} if Redis did not answer. */
	private @Nullable List<Object> lookAll(List<String> stables, byte[] token) {
		byte[][] arguments = lookArguments(stables, token);
		try {
			return checked(this.connection.call(this.cache, "look up",
					(c) -> c.eval(BulkScripts.LOOKUP_ALL, ScriptOutputType.MULTI, this.entries.meta(), arguments)));
		}
		catch (Unavailable ex) {
			return null;
		}
	}

	private byte[][] lookArguments(List<String> stables, byte[] token) {
		byte[][] arguments = new byte[5 + stables.size()][];
		arguments[0] = this.entries.baseBytes();
		arguments[1] = token;
		arguments[2] = this.leaseMillis;
		arguments[3] = RedisConnection.bytes(Long.toString(this.entries.sequence().seen()));
		arguments[4] = this.maxValueSize;
		for (int i = 0; i < stables.size(); i++) {
			arguments[5 + i] = RedisConnection.bytes(stables.get(i));
		}
		return arguments;
	}

	/** The reply, or {@code null} if Redis is older than this instance has seen (its repair starts). */
	private @Nullable List<Object> checked(List<Object> reply) {
		if ((Long) reply.get(0) == 4) {
			this.events.versions().foundOlder();
			return null;
		}
		this.entries.sequence().saw((Long) reply.get(1));
		return reply;
	}

	/**
	 * One script: the value of each leased key written (if the call gave one that may be
	 * stored and the key was not invalidated here meanwhile), every other lease released;
	 * {@code async}: sent without waiting for the reply.
	 */
	private void finishAll(Plan plan, @Nullable Map<Object, @Nullable Object> ran, Predicate<Object> storable,
			boolean async) {
		List<Lease> held = plan.held;
		if (held.isEmpty()) {
			return;
		}
		byte[][] arguments = new byte[3 + 5 * held.size()][];
		arguments[0] = this.entries.baseBytes();
		arguments[1] = this.entries.channel();
		arguments[2] = plan.token;
		long ttlNanos = this.cache.drawTtlNanos();
		for (int i = 0; i < held.size(); i++) {
			Lease lease = held.get(i);
			Object key = plan.leased.get(i);
			this.leases.drop(lease.key());
			byte[] payload = null;
			if (ran != null && storable.test(key) && !plan.loadOf.get(key).isInvalidated()) {
				Object value = ran.get(key);
				if (value != null || this.cache.getSettings().isCacheNullValues()) {
					payload = this.entries.payloads().write(value);
				}
			}
			int at = 3 + 5 * i;
			arguments[at] = RedisConnection.bytes(lease.stable());
			arguments[at + 1] = RedisConnection.bytes(lease.key());
			arguments[at + 2] = this.events.message('l', this.cache.getName(), lease.stable());
			arguments[at + 3] = (payload != null) ? payload : new byte[0];
			arguments[at + 4] = (payload != null) ? RedisConnection.bytes(Long.toString(RedisEntries.millis(ttlNanos)))
					: RELEASE_ONLY;
		}
		Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<Long>> finish = (c) -> c.eval(BulkScripts.FINISH_ALL,
				ScriptOutputType.INTEGER, this.entries.meta(), arguments);
		if (async) {
			this.connection.callAsync(this.cache, "write", finish).thenAccept(this::written);
			return;
		}
		try {
			written(this.connection.call(this.cache, "write", finish));
		}
		catch (Unavailable ex) {
			// the leases run out by themselves
		}
	}

	private void written(@Nullable Long written) {
		for (long i = 0; written != null && i < written; i++) {
			this.statistics.recordWrite();
		}
	}

	/** What {@link #read} answers for an entry that is not ours. */
	private static final Object FOREIGN = new Object();

	private @Nullable Object read(byte[] payload, @Nullable RedisValues reader) {
		try {
			return this.entries.payloads().read(payload, reader);
		}
		catch (RuntimeException ex) {
			this.entries.payloads().foreign(ex, reader);
			return FOREIGN;
		}
	}

	private static long nanos(long pttl) {
		return (pttl >= 0) ? pttl * 1_000_000L : -1;
	}

	private static byte[] token() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return RedisConnection.bytes(Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
	}

}
