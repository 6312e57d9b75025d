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
import java.util.function.Predicate;

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
 * locally go to Redis in one script (one per node of a cluster, {@link RedisBulkRouting})
 * that reads every entry and takes the lease of each one still missing; the method runs
 * once for the keys whose lease was taken; one more script writes their values and
 * releases the leases it does not write (refused when a lease was lost, as for one key:
 * an invalidation anywhere deletes it, a clear moves the cache to a new generation, so
 * "invalidation wins" holds per key). A key whose lease another instance holds (or whose
 * bucket is in a later generation than this instance knew) is loaded after that, through
 * the single-key path ({@link RedisRemoteCache#load}), which waits for that instance's
 * news, so a bulk call never waits while it holds leases. A key with no stable form,
 * every key when Redis does not answer, and each key whose bucket went back in time, are
 * loaded locally in the same execution, without a lease. The asynchronous form
 * ({@link #loadAllAsync}) takes the same steps without blocking: the method starts where
 * Redis answered, on the given executor, and the write is sent without waiting for its
 * reply.
 */
final class RedisBulk {

	private static final byte[] RELEASE_ONLY = RedisConnection.bytes("-1");

	private final RedisRemoteCache remote;

	private final RedisEntries entries;

	private final RedisEvents events;

	private final RedisLeases leases;

	private final CachedCache cache;

	private final RemoteStatistics statistics;

	private final byte[] leaseMillis;

	private final byte[] maxValueSize;

	/** Sends the bulk scripts: one, or one per node of a cluster. */
	private final RedisBulkRouting routing;

	RedisBulk(RedisRemoteCache remote, RedisConnection connection, RedisEntries entries, RedisEvents events,
			RedisLeases leases, RedisTierSettings settings) {
		this.remote = remote;
		this.entries = entries;
		this.events = events;
		this.leases = leases;
		this.cache = remote.cache();
		this.statistics = this.cache.getRemoteStatistics();
		this.leaseMillis = RedisConnection.bytes(Long.toString(Math.max(1, settings.leaseTime().toMillis())));
		this.maxValueSize = RedisConnection.bytes(Long.toString(settings.maxValueSize()));
		this.routing = new RedisBulkRouting(connection, this.cache);
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
		CompletableFuture<@Nullable Looked> looked = plan.stables.isEmpty()
				? CompletableFuture.completedFuture(null) : lookAllAsync(plan.stables, plan.token);
		looked.whenCompleteAsync((reply, error) -> {
			// off Lettuce's event loop: the version checks, the JSON, the method
			plan.classify(reply, reader);
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

	/** What the bulk lookup answered, and the generation it named the entries with. */
	private record Looked(long generation, List<Object> reply) {
	}

	/**
	 * One script (one per node of a cluster): every entry read, the lease of each missing one
	 * taken; {@code null} in the future if Redis did not answer.
	 */
	private CompletableFuture<@Nullable Looked> lookAllAsync(List<String> stables, byte[] token) {
		RedisBucketCalls calls = this.entries.calls();
		return calls.generationAsync().thenCompose((g) -> {
			byte[][] keys = new byte[3 * stables.size()][];
			byte[][] least = new byte[stables.size()][];
			for (int i = 0; i < stables.size(); i++) {
				String stable = stables.get(i);
				int bucket = RedisKeyLayout.bucket(stable);
				keys[3 * i] = this.entries.bucketMeta(bucket);
				keys[3 * i + 1] = RedisConnection.bytes(this.entries.entry(bucket, g, stable));
				keys[3 * i + 2] = RedisConnection.bytes(this.entries.lease(bucket, g, stable));
				least[i] = calls.least(bucket);
			}
			byte[][] common = { RedisConnection.bytes(Long.toString(g)), token, this.leaseMillis, this.maxValueSize };
			return this.routing.run("look up", BulkScripts.LOOKUP_ALL, keys, common, least, 1, 4)
				.thenApply((reply) -> new Looked(g, reply));
		}).handle((looked, error) -> (error != null) ? null : looked);
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
		void classify(@Nullable Looked looked, @Nullable RedisValues reader) {
			if (looked == null) {
				this.local.addAll(this.remoteKeys);
				return;
			}
			List<Object> reply = looked.reply();
			RedisBuckets buckets = RedisBulk.this.entries.buckets();
			for (int i = 0; i < this.remoteKeys.size(); i++) {
				Object key = this.remoteKeys.get(i);
				long kind = (Long) reply.get(4 * i);
				int bucket = RedisKeyLayout.bucket(this.stables.get(i));
				if (kind == 0 || kind == 4) {
					// not answered, or its bucket went back in time (repaired in the background)
					if (kind == 4) {
						buckets.behind(looked.generation());
						RedisBulk.this.events.versions().foundOlder();
					}
					this.local.add(key);
					continue;
				}
				if (kind == 6) {
					// the bucket is in a later generation: this key goes the single-key way
					buckets.raise((Long) reply.get(4 * i + 2), true);
					this.oneByOne.add(key);
					continue;
				}
				buckets.saw(bucket, (Long) reply.get(4 * i + 3));
				if (kind == 1) {
					Object value = read((byte[]) reply.get(4 * i + 1), reader);
					if (value != FOREIGN && (value != null || RedisBulk.this.cache.getSettings().isCacheNullValues())) {
						RedisBulk.this.statistics.recordHit();
						this.loadOf.get(key).fromSharedTier(nanos((Long) reply.get(4 * i + 2)));
						put(key, value);
					}
					else {
						this.oneByOne.add(key);
					}
				}
				else if (kind == 2) {
					RedisBulk.this.statistics.recordMiss();
					this.leased.add(key);
					this.held.add(RedisBulk.this.entries.hold(this.stables.get(i), bucket, looked.generation(),
							this.token));
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

	/** {@link #lookAllAsync}, waiting for the answer (bounded by the timeout of each script). */
	private @Nullable Looked lookAll(List<String> stables, byte[] token) {
		return lookAllAsync(stables, token).join();
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
		byte[][] keys = new byte[3 * held.size()][];
		byte[][] perKey = new byte[4 * held.size()][];
		long ttlNanos = this.cache.drawTtlNanos();
		Object[] sent = new Object[held.size()];
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
			keys[3 * i] = this.entries.bucketMeta(lease.bucket());
			keys[3 * i + 1] = RedisConnection.bytes(this.entries.entry(lease.bucket(), lease.generation(), lease.stable()));
			keys[3 * i + 2] = RedisConnection.bytes(lease.key());
			perKey[4 * i] = RedisConnection.bytes(Long.toString(lease.generation()));
			perKey[4 * i + 1] = this.events.message('l', this.cache.getName(), lease.stable());
			perKey[4 * i + 2] = (payload != null) ? payload : new byte[0];
			sent[i] = (payload != null) ? key : null;
			perKey[4 * i + 3] = (payload != null) ? RedisConnection.bytes(Long.toString(RedisEntries.millis(ttlNanos)))
					: RELEASE_ONLY;
		}
		byte[][] common = { this.entries.channel(), plan.token };
		CompletableFuture<List<Object>> finish = this.routing.run("write", BulkScripts.FINISH_ALL, keys, common, perKey,
				4, 1);
		if (async) {
			finish.thenAccept((written) -> written(written, sent));
			return;
		}
		try {
			written(finish.join(), sent);
		}
		catch (RuntimeException ex) {
			// the leases run out by themselves
		}
	}

	/** Count the values written; one sent and refused lost its lease elsewhere: dropped now (G8). */
	private void written(List<Object> written, @Nullable Object[] sent) {
		for (int i = 0; i < written.size(); i++) {
			if (written.get(i) instanceof Long count && count == 1) {
				this.statistics.recordWrite();
			}
			else if (i < sent.length && sent[i] != null && Long.valueOf(0).equals(written.get(i))) {
				this.cache.invalidateLocally(sent[i]);
			}
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
