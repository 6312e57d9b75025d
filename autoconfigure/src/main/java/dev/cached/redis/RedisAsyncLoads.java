package dev.cached.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;
import dev.cached.engine.Load;
import dev.cached.engine.LoadObserver;
import dev.cached.engine.RemoteCache.AsyncCall;
import dev.cached.engine.RemoteStatistics;
import dev.cached.redis.RedisEntries.Found;
import dev.cached.redis.RedisEntries.Lease;

/**
 * The asynchronous load of one key of a remote cache: the steps of
 * {@link RedisRemoteCache#load} (look, wait for another instance's lease, take the lease,
 * run, write or release) without blocking a thread. Redis' answers complete on Lettuce's
 * event loop; what follows them goes on on {@link RedisRemoteCache#ASYNC}. Each step sent
 * later, on another thread than the caller's, is sent with the load's observation current,
 * so that its Redis commands are part of the load in a trace.
 */
final class RedisAsyncLoads {

	private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

	private final RedisRemoteCache remote;

	private final RedisEntries entries;

	private final RedisEvents events;

	private final RedisTierSettings settings;

	private final CachedCache cache;

	private final RemoteStatistics statistics;

	RedisAsyncLoads(RedisRemoteCache remote, RedisEntries entries, RedisEvents events, RedisTierSettings settings) {
		this.remote = remote;
		this.entries = entries;
		this.events = events;
		this.settings = settings;
		this.cache = remote.cache();
		this.statistics = this.cache.getRemoteStatistics();
	}

	/**
	 * See {@link RedisRemoteCache#loadAsync}: look (waiting, without a thread, while another
	 * instance loads the key), then start the call with the lease taken.
	 * @param stable the key's stable form
	 * @param load the load
	 * @param call the call
	 * @return the value, or the call's own outcome
	 */
	CompletionStage<?> load(String stable, Load load, AsyncCall call) {
		// the method starts where Redis answered, with a copy of the caller's context
		AsyncCall detached = call.detach();
		CompletableFuture<@Nullable Object> result = new CompletableFuture<>();
		lookupAsync(load, stable, this.entries.payloads().reader(call.context()), deadline())
			.whenCompleteAsync((looked, error) -> {
				if (looked instanceof Found found) {
					load.fromSharedTier(found.remainingNanos());
					result.complete(found.value());
				}
				else {
					startWithLease(load, detached, (Lease) looked, result);
				}
			}, RedisRemoteCache.ASYNC);
		return result;
	}

	/**
	 * Start the method on this thread; when its value comes, write it with the lease or
	 * release the lease, without waiting for Redis, on the thread that completed it.
	 */
	private void startWithLease(Load load, AsyncCall call, @Nullable Lease lease,
			CompletableFuture<@Nullable Object> result) {
		CompletionStage<?> stage;
		try {
			stage = call.start();
		}
		catch (Throwable ex) {
			if (lease != null) {
				this.entries.releaseAsync(lease);
			}
			result.completeExceptionally(ex);
			return;
		}
		if (stage == null) {
			stage = CompletableFuture.completedFuture(null);
		}
		stage.whenComplete((value, error) -> {
			if (lease != null) {
				// on the thread that completed the method's value: the write is part of the load
				boolean write = error == null && call.storable() && !load.isInvalidated() && this.remote.storable(value);
				inLoad(load, () -> {
					if (write) {
						this.entries.writeAsync(lease, value, this.cache.drawTtlNanos());
					}
					else {
						this.entries.releaseAsync(lease);
					}
					return lease;
				});
			}
			if (error != null) {
				result.completeExceptionally(error);
			}
			else {
				result.complete(value);
			}
		});
	}

	/** Send a later step of an asynchronous load with the load's observation current. */
	private <T> T inLoad(Load load, Supplier<T> step) {
		LoadObserver.Scope scope = this.cache.openScope(load);
		try {
			return step.get();
		}
		finally {
			scope.close();
		}
	}

	private long deadline() {
		Duration waitTimeout = this.cache.getSettings().waitTimeout().value();
		return (waitTimeout != null) ? System.nanoTime() + waitTimeout.toNanos() : Long.MAX_VALUE;
	}

	/**
	 * {@link #lookup} without blocking: the news of another instance's lease, or the end of
	 * the wait, completes a timer of this caller's own, and the next look follows it.
	 */
	private CompletableFuture<@Nullable Object> lookupAsync(Load load, String stable, @Nullable RedisValues reader,
			long deadline) {
		String entry = this.entries.entryKey(stable);
		// registered before the look, so that the news of the lease's end is never missed
		CompletableFuture<Void> news = this.events.waiters().waiter(entry);
		return this.entries.lookAsync(stable, reader, RedisRemoteCache.ASYNC).thenCompose((look) -> {
			if (look.found() != null) {
				this.events.waiters().forget(entry, news);
				this.statistics.recordHit();
				return CompletableFuture.completedFuture(this.remote.storable(look.found().value()) ? look.found() : null);
			}
			if (look.lease() != null || look == RedisEntries.UNAVAILABLE) {
				this.events.waiters().forget(entry, news);
				this.statistics.recordMiss();
				return CompletableFuture.completedFuture(look.lease());
			}
			if (look == RedisEntries.FOREIGN) {
				return inLoad(load, () -> this.entries.tryLeaseAsync(stable)).thenCompose((lease) -> {
					if (lease != RedisEntries.HELD_ELSEWHERE) {
						this.events.waiters().forget(entry, news);
						this.statistics.recordMiss();
						return CompletableFuture.completedFuture(lease);
					}
					return waitThenLook(load, stable, reader, deadline, entry, news,
							this.settings.leaseTime().toMillis());
				});
			}
			return waitThenLook(load, stable, reader, deadline, entry, news, look.leaseLeftMillis());
		});
	}

	/** Another instance loads the key: wait for its news, or for its lease to end, then look again. */
	private CompletableFuture<@Nullable Object> waitThenLook(Load load, String stable, @Nullable RedisValues reader,
			long deadline, String entry, CompletableFuture<Void> news, long leaseLeftMillis) {
		long left = deadline - System.nanoTime();
		if (left <= 0) {
			this.events.waiters().forget(entry, news);
			this.statistics.recordMiss();
			return CompletableFuture.completedFuture(null);
		}
		CompletableFuture<@Nullable Void> waited = new CompletableFuture<>();
		news.thenRun(() -> waited.complete(null));
		waited.completeOnTimeout(null, Math.min(left, Math.max(1, leaseLeftMillis) * MILLI + 10 * MILLI),
				TimeUnit.NANOSECONDS);
		return waited.thenComposeAsync((ignored) -> {
			this.events.waiters().forget(entry, news);
			// the next look is part of the load too, on whichever thread the news came
			return inLoad(load, () -> lookupAsync(load, stable, reader, deadline));
		}, RedisRemoteCache.ASYNC);
	}

}
