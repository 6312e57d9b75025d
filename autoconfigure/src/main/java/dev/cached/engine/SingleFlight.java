package dev.cached.engine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import com.github.benmanes.caffeine.cache.Ticker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Runs at most one load per key at a time, and lets every concurrent caller for that key
 * share its outcome. What callers of {@link #load(Object, Loader, Object)} observe:
 * <ul>
 * <li>The first caller for a key that is not in flight becomes the <em>owner</em>: it
 * checks the store once more, then obtains the value on its own thread (through the
 * cache's {@link RemoteCache shared tier}, if any, which may answer it or runs the
 * {@link Loader}), publishes the value to the store (unless the loader vetoes it or the
 * key was invalidated meanwhile), and returns the value or throws the loader's
 * exception.</li>
 * <li>Every other caller for that key <em>joins</em>: it waits, without holding any lock
 * or monitor, and returns the owner's value or throws the owner's exception instance,
 * unwrapped. Nothing is stored after a failure; any call that starts after a caller has
 * received the failure, that caller's own next call included, loads again.</li>
 * <li>A caller that would wait for a load owned by its own thread, directly or through a
 * chain of waiting threads, fails at once with {@link IllegalStateException}.</li>
 * <li>A joined caller that is interrupted stops waiting and throws
 * {@link CacheWaitInterruptedException} with its interrupt flag set.</li>
 * <li>A joined caller that has waited the wait timeout runs the loader itself and returns
 * its own result, which is not stored.</li>
 * <li>{@link #invalidate(Object)} detaches the running load of a key: its callers still
 * get its result, the result is not stored, and the next caller starts a new load.</li>
 * <li>When the owner was interrupted and its load ended with that interruption (an
 * {@link InterruptedException}, {@link InterruptedIOException} or
 * {@link ClosedByInterruptException} in the cause chain, or the owner's interrupt flag set
 * when the call threw), only the owner gets that failure: the joined callers start over,
 * so one of them runs the loader as the owner of a new load and the others join it.</li>
 * </ul>
 * <p>
 * {@link #loadAsync(Object, AsyncLoader, Object)} is the same registry for calls whose
 * result is a future or a publisher (see {@link AsyncFlight}), and
 * {@link #refresh(Object, Object, Object, Loader, Object, Refresher, long)} starts a
 * background reload through it (see {@link ReloadFlight}). Synchronous, asynchronous and
 * background loads of one key share one load.
 */
public final class SingleFlight {

	/*
	 * Implementation notes.
	 *
	 * The registry is a ConcurrentHashMap from key to Load. Whoever registers a Load with
	 * putIfAbsent owns it; everyone else gets the running Load and joins it. Registration
	 * is the only synchronisation point: the call runs outside of any lock, so loads of
	 * different keys run in parallel and a load may call into any other key or cache.
	 *
	 * Every owner, blocking (own), asynchronous (AsyncFlight) or background
	 * (ReloadFlight), takes the same steps; only step 3 differs in where it runs:
	 *   1. register (putIfAbsent)
	 *   2. look in the store again: a previous owner may have published and unregistered
	 *      between this caller's miss and step 1
	 *   3. obtain the value: tier.load(key, load, call), where the tier is the cache's
	 *      shared tier (it may answer from another instance, and wraps the call in its
	 *      lease) or RemoteCache.LOCAL, which runs the call; a blocking owner whose tier
	 *      is LOCAL runs it itself (Execution.owned, what OwnerCall.run does), which spares the
	 *      OwnerCall object on every miss of a cache without a shared tier
	 *   4. publish the value to the store (skipped after a failure or a veto)
	 *   5. unregister with remove(key, load)
	 *   6. complete the Load: the joiners wake up
	 * Steps 4 to 6 live in succeed() and fail() and nowhere else.
	 *   - 4 before 5 (G2): a caller that misses the registry after 5 finds the value.
	 *   - 5 before 6 (G3): a caller that has received the outcome, and anyone after it,
	 *     can never find the finished Load registered and join it: it loads again.
	 * Unregistering compares identity: after an invalidation detached this Load, a newer
	 * Load may be registered for the same key, and it must not be removed.
	 *
	 * Invalidation: invalidate(key) removes the running Load from the registry and marks
	 * it invalidated, before the store entry is removed. The store's publish checks the
	 * mark inside the store's own atomic compute, so either the publish comes first and the
	 * store removal erases it, or the mark is visible to the publish. A shared tier reads
	 * the same mark before it writes.
	 *
	 * Failures: a Load completes normally with a Failure holder, never exceptionally, so
	 * that joiners rethrow exactly the owner's Throwable instance (CompletableFuture would
	 * unwrap a CompletionException thrown by the method itself). Joiners read the outcome
	 * only after their wait has ended, outside of the try block that catches the wait's own
	 * InterruptedException and TimeoutException.
	 *
	 * Cycles: see BlockingJoin.
	 *
	 * Takeover (G11): a failure caused by the owner's own interruption belongs to the
	 * owner. It completes the Load with an Abandoned holder instead of a Failure. A joiner
	 * that wakes up to Abandoned starts over from registration: the first to register owns
	 * a new Load, the others join it. Each attempt has a new owner, so the retries end. A
	 * joiner that starts over has been counted as coalesced, but it received no outcome, so
	 * it is no hit; its retry counts it again in its new role.
	 */

	static final Log logger = LogFactory.getLog(SingleFlight.class);

	final String cacheName;

	final Store store;

	final CacheStatistics statistics;

	/** How long a joiner waits before it runs the call itself; -1 for as long as it takes. */
	final long waitTimeoutNanos;

	/** Measures each load's duration for the stored entry (early refresh reads it). */
	final Ticker ticker;

	/**
	 * Whether {@link #ticker} is {@link Ticker#systemTicker()}, whose reading is
	 * {@link System#nanoTime()}: an owner then reads the clock once for both.
	 */
	final boolean systemTicker;

	/** Keys with a load in flight. Written by owners (register/unregister) and invalidators. */
	final ConcurrentHashMap<Object, Load> inFlight = new ConcurrentHashMap<>();

	/**
	 * How owners obtain a value the store lacks (step 3). Set when the cache is attached to
	 * a shared tier; read by every owner.
	 */
	volatile RemoteCache tier = RemoteCache.LOCAL;

	/** Told about every execution and wait; set when the cache is created or observed, read by every miss. */
	volatile LoadObserver observer = LoadObserver.NONE;

	private final AsyncFlight async = new AsyncFlight(this);

	private final ReloadFlight reloads = new ReloadFlight(this);

	/**
	 * Create a single-flight registry for one cache.
	 * @param cacheName the cache name, for messages
	 * @param store where values are looked up and published
	 * @param statistics the counters to record into
	 * @param waitTimeout how long a joined caller waits before it runs the call itself,
	 * or {@code null} to wait for the running load however long it takes
	 */
	public SingleFlight(String cacheName, Store store, CacheStatistics statistics, @Nullable Duration waitTimeout) {
		this(cacheName, store, statistics, waitTimeout, Ticker.systemTicker());
	}

	/**
	 * Create a single-flight registry for one cache.
	 * @param cacheName the cache name, for messages
	 * @param store where values are looked up and published
	 * @param statistics the counters to record into
	 * @param waitTimeout how long a joined caller waits before it runs the call itself,
	 * or {@code null} to wait for the running load however long it takes
	 * @param ticker the time source that measures each load for {@link Load#loadNanos()}
	 */
	public SingleFlight(String cacheName, Store store, CacheStatistics statistics, @Nullable Duration waitTimeout,
			Ticker ticker) {
		this.cacheName = cacheName;
		this.store = store;
		this.statistics = statistics;
		this.waitTimeoutNanos = (waitTimeout != null) ? Math.max(0, waitTimeout.toNanos()) : -1;
		this.ticker = ticker;
		this.systemTicker = ticker == Ticker.systemTicker();
	}

	/**
	 * Return the value for {@code key}, joining the running load or running
	 * {@code loader} as the owner of a new one. Call this after a miss in the store.
	 * @param key the key
	 * @param loader the work to run when this caller owns the load
	 * @param context the caller's own argument to the loader (its method invocation)
	 * @return the value, possibly {@code null}
	 * @throws IllegalStateException if the caller's own thread is loading this key (or a
	 * key whose load is waiting on this caller); nothing is left in flight
	 * @throws CacheWaitInterruptedException if the caller was interrupted while waiting
	 * @throws Throwable whatever the loader threw, the same instance for the owner and every
	 * joined caller (except a failure caused by the owner's interruption, which only the
	 * owner gets); the mapping is left unestablished
	 */
	public @Nullable Object load(Object key, Loader loader, Object context) throws Throwable {
		LoadObserver.Trigger trigger = LoadObserver.Trigger.MISS;
		for (;;) {
			Load load = new Load(Thread.currentThread());
			Load running = this.inFlight.putIfAbsent(key, load);
			if (running == null) {
				return own(key, load, loader, context, trigger);
			}
			Object outcome = BlockingJoin.join(this, key, running, loader, context);
			if (outcome != BlockingJoin.TAKE_OVER) {
				return outcome;
			}
			// the owner was interrupted: start over, as the owner of a new load or its joiner
			trigger = LoadObserver.Trigger.TAKEOVER;
		}
	}

	/** Steps 2 to 6 of a blocking owner, on its own thread; step 3 is observed. */
	private @Nullable Object own(Object key, Load load, Loader loader, Object context, LoadObserver.Trigger trigger)
			throws Throwable {
		// whether the call ran on this thread without an OwnerCall, and when it started
		boolean ran = false;
		long start = 0;
		OwnerCall call = null;
		LoadObserver.Scope scope = LoadObserver.Scope.NONE;
		Throwable failure = null;
		try {
			Object stored = this.store.lookup(key);
			if (stored != null) {
				Object value = NullValue.unmask(stored);
				this.statistics.recordHit();
				succeed(key, load, value, false);
				return value;
			}
			scope = Execution.observe(this, load, trigger);
			RemoteCache tier = this.tier;
			Object value;
			boolean storable;
			if (tier == RemoteCache.LOCAL) {
				// what LOCAL.load does with an OwnerCall, without allocating one per miss
				start = System.nanoTime();
				ran = true;
				value = Execution.owned(this, load, loader, context, true, start);
				storable = loader.isStorable(context, value);
			}
			else {
				call = new OwnerCall(this, load, loader, context, true);
				value = tier.load(key, load, call);
				storable = call.storable();
			}
			if (load.isFromSharedTier()) {
				this.statistics.recordHit();
			}
			succeed(key, load, value, load.isFromSharedTier() || storable);
			return value;
		}
		catch (Throwable ex) {
			failure = ex;
			fail(key, load, ex, Execution.isInterruption(ex, Thread.currentThread().isInterrupted()));
			throw ex;
		}
		finally {
			Execution.observed(this, load.observation, scope, failure);
			if (call != null && call.ran) {
				ran = true;
				start = call.startNanos;
			}
			if (ran && logger.isDebugEnabled()) {
				Execution.log(this, key, load, System.nanoTime() - start);
			}
		}
	}

	/**
	 * Steps 4 to 6 of every owner whose load produced a value: publish it (if it may be
	 * stored), unregister, complete. The value is in the store before the load leaves the
	 * registry (G2), and the load leaves the registry before anyone can see its outcome
	 * (G3).
	 * @throws RuntimeException if the store failed to publish; the load is then still
	 * registered and incomplete, for {@link #fail} to end
	 */
	void succeed(Object key, Load load, @Nullable Object value, boolean publish) {
		if (publish) {
			this.store.publish(key, value, load);
		}
		this.inFlight.remove(key, load);
		load.complete(value);
	}

	/**
	 * Steps 5 and 6 of every owner whose load failed: unregister, then complete with the
	 * failure, shared with the joiners, or, when it was the owner's own interruption (or
	 * cancellation), left to them to take the load over.
	 */
	void fail(Object key, Load load, Throwable error, boolean abandoned) {
		this.inFlight.remove(key, load);
		load.complete(abandoned ? new Load.Abandoned(error) : new Load.Failure(error));
	}

	IllegalStateException recursion(Object key) {
		return new IllegalStateException("Recursive load of cache '" + this.cacheName + "' key '" + key
				+ "': the method called itself for the same key on the same thread");
	}

	/**
	 * Return a future of the value for {@code key}, joining the running load or starting
	 * {@code loader} as the owner of a new one; call this after a miss in the store. Never
	 * blocks and never throws: every outcome, as {@link AsyncFlight} describes it, arrives
	 * through the returned future, which belongs to this caller alone.
	 * @param key the key
	 * @param loader the work to start when this caller owns the load
	 * @param context the caller's own argument to the loader (its method invocation)
	 * @return this caller's own future of the value
	 */
	public CompletableFuture<@Nullable Object> loadAsync(Object key, AsyncLoader loader, Object context) {
		return this.async.load(key, loader, context);
	}

	/**
	 * Start a background reload of {@code key}, unless a load of it is in flight; return
	 * at once (see {@link ReloadFlight}). The reload runs {@code loader} on
	 * {@code refresher}'s executor with {@link Loader#refreshContext(Object) a copy} of the
	 * caller's context, and publishes its value only if the store still holds
	 * {@code stored} (or nothing) for the key and the key was not invalidated meanwhile.
	 * Its outcome is counted as a refresh and told to {@code refresher}; a failure leaves
	 * the stored entry in place.
	 * @param key the key
	 * @param stored the stored object the caller read (the reload replaces only it)
	 * @param value the value the caller read, unmasked, handed to any caller that joined
	 * the reload if it does not run
	 * @param loader the work to run
	 * @param context the caller's context
	 * @param refresher the executor and the listener
	 * @param takeSharedAbove a shared tier's value that lives longer than this is taken
	 * instead of reloading ({@link Long#MAX_VALUE}: never)
	 */
	public void refresh(Object key, Object stored, @Nullable Object value, Loader loader, Object context,
			Refresher refresher, long takeSharedAbove) {
		this.reloads.refresh(key, stored, value, loader, context, refresher, takeSharedAbove);
	}

	/**
	 * Start a background reload of {@code key}, as
	 * {@link #refresh(Object, Object, Object, Loader, Object, Refresher, long)} does,
	 * never taking a shared tier's value instead.
	 * @param key the key
	 * @param stored the stored object the caller read
	 * @param value the value the caller read, unmasked
	 * @param loader the work to run
	 * @param context the caller's context
	 * @param refresher the executor and the listener
	 */
	public void refresh(Object key, Object stored, @Nullable Object value, Loader loader, Object context,
			Refresher refresher) {
		refresh(key, stored, value, loader, context, refresher, Long.MAX_VALUE);
	}

	/**
	 * Detach the running load of {@code key}, if any: its callers still get its result,
	 * but the result is not stored, and the next caller starts a new load. Call this
	 * before removing the key from the store.
	 * @param key the key
	 */
	public void invalidate(Object key) {
		Load load = this.inFlight.remove(key);
		if (load != null) {
			load.invalidated = true;
		}
	}

	/**
	 * Detach the running load of every key that {@code keys} accepts, as
	 * {@link #invalidate(Object)} does for one key.
	 * @param keys the keys to detach
	 */
	public void invalidateIf(Predicate<Object> keys) {
		for (Object key : this.inFlight.keySet()) {
			if (keys.test(key)) {
				invalidate(key);
			}
		}
	}

	/**
	 * Detach every running load, as {@link #invalidate(Object)} does for one key.
	 */
	public void invalidateAll() {
		for (Object key : this.inFlight.keySet()) {
			invalidate(key);
		}
	}

	/**
	 * Return the number of keys with a load in flight (detached loads are not counted).
	 * @return the number of registered loads
	 */
	public int inFlightKeys() {
		return this.inFlight.size();
	}

	/**
	 * Tell {@code observer} about every execution and wait from now on.
	 * @param observer the observer, {@link LoadObserver#NONE} by default
	 */
	void setObserver(LoadObserver observer) {
		this.observer = observer;
	}

	/**
	 * Obtain values through {@code tier} from now on (step 3 of every owner).
	 * @param tier the cache's view of a shared tier, or {@link RemoteCache#LOCAL}
	 */
	void setTier(RemoteCache tier) {
		this.tier = tier;
	}

}
