package dev.cached.engine;

import java.io.InterruptedIOException;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import com.github.benmanes.caffeine.cache.Ticker;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Runs at most one load per key at a time, and lets every concurrent caller for that key
 * share its outcome. What callers of {@link #load(Object, Loader, Object)} observe:
 * <ul>
 * <li>The first caller for a key that is not in flight becomes the <em>owner</em>: it
 * checks the store once more, then runs the {@link Loader} on its own thread, publishes the
 * value to the store (unless the loader vetoes it or the key was invalidated meanwhile),
 * and returns the value or throws the loader's exception.</li>
 * <li>Every other caller for that key <em>joins</em>: it waits, without holding any lock
 * or monitor, and returns the owner's value or throws the owner's exception instance,
 * unwrapped. Nothing is stored after a failure; the next caller loads again.</li>
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
 * result is a {@link CompletionStage}: the owner starts the call on its own thread and
 * returns at once; the value is published when the stage completes normally; an
 * exceptional completion (unwrapped from {@link CompletionException}) is shared with the
 * joined callers and not stored, and a cancelled stage counts as an interruption. Every
 * caller, owner included, gets a future of its own, so cancelling it touches neither the
 * load nor another caller. No asynchronous caller ever blocks: its wait timeout and a
 * takeover run the call on the {@link CompletableFuture#defaultExecutor() default
 * asynchronous executor}. Synchronous and asynchronous callers of one key share one load.
 * <p>
 * {@link #refresh} starts a background reload of a stored key through the same registry:
 * the caller returns at once, the reload runs on the {@link Refresher}'s executor as the
 * owner of the key's load (a caller that misses the store meanwhile joins it), and its
 * value replaces the stored entry only if that entry is still the one it started from
 * and the key was not invalidated meanwhile.
 */
public final class SingleFlight {

	/*
	 * Implementation notes.
	 *
	 * The registry is a ConcurrentHashMap from key to Load. A Load is registered with
	 * putIfAbsent: whoever wins is the owner, everyone else gets the running Load and
	 * joins it. Registration is the only synchronisation point; the method itself runs
	 * outside of any lock, so loads of different keys run in parallel and a load may call
	 * into any other key or cache.
	 *
	 * Order of the owner, which is what makes a second execution impossible (no gap):
	 *   1. register (putIfAbsent)
	 *   2. look in the store again: a previous owner may have published and unregistered
	 *      between this caller's miss and step 1
	 *   3. run the call
	 *   4. publish the value to the store (skipped after a failure or a veto)
	 *   5. complete the Load (joiners wake up)
	 *   6. unregister with remove(key, load), in a finally block
	 * Because 4 happens before 6, a caller that misses the registry after 6 finds the
	 * value in the store; a caller that comes before 6 joins.
	 *
	 * Unregistering compares identity: after an invalidation detached this Load, a newer
	 * Load may be registered for the same key, and it must not be removed.
	 *
	 * Invalidation: invalidate(key) removes the running Load from the registry and marks
	 * it invalidated, before the store entry is removed. The store's publish step checks
	 * the mark inside the store's own atomic compute, so either the publish comes first
	 * and the store removal erases it, or the mark is visible to the publish.
	 *
	 * Failures: the Load completes normally with a Failure holder, never exceptionally,
	 * so that joiners rethrow exactly the owner's Throwable instance (CompletableFuture
	 * would unwrap a CompletionException thrown by the method itself).
	 *
	 * Joiners read the outcome only after their wait has ended, outside of the try block
	 * that catches the wait's own InterruptedException and TimeoutException: an exception
	 * the method threw must reach them as it is, never be taken for their own interrupt
	 * or timeout.
	 *
	 * Cycles: a joiner records the Load it waits for in WAITING, fences, and then follows
	 * owner -> waited Load -> owner... If the chain comes back to the caller's own thread,
	 * waiting would deadlock, so it fails instead. Both sides of a forming cycle record
	 * before they look, so at least one of them sees the cycle. A joiner whose wait timed
	 * out removes its record before it runs the call itself: it waits for nobody any more.
	 *
	 * Takeover (G11): a failure caused by the owner's own interruption belongs to the
	 * owner. The owner unregisters its Load and then completes it with an Abandoned
	 * holder instead of a Failure (in this order, so that no retry finds it). A joiner that wakes up to Abandoned starts
	 * over from registration: the first to register owns a new Load (and looks in the
	 * store again, like any owner), the others join it. Each attempt has a new owner, so
	 * the retries end. A joiner that starts over has been counted as coalesced (it joined), but it
	 * received no outcome, so it is no hit; its retry counts it again in its new role.
	 *
	 * Asynchronous loads (loadAsync) use the same registry, Loads and order:
	 *   1-2. as above, on the calling thread
	 *   3. start the call on the calling thread; it returns a stage. The owner thread is
	 *      then cleared from the Load: no thread runs it any more, so no joiner can be
	 *      part of a cycle with it, and a later call on that thread is no recursion
	 *   4-6. when the stage completes, on the completing thread: publish, complete,
	 *      unregister, exactly as a synchronous owner does after its call returned.
	 * A call that throws instead of returning a stage is a failed load like any other.
	 * Every asynchronous caller gets a new CompletableFuture completed from the Load's
	 * outcome: the Load itself, and the stage of the call, are never handed out, so no
	 * caller can cancel or complete them. An asynchronous joiner never blocks; its wait
	 * timeout completes a private future with TIMED_OUT (CompletableFuture's delayer,
	 * cancelled when the load finishes first), and whichever comes first, the outcome or
	 * TIMED_OUT, decides. Work that runs the call for a joiner (timeout, takeover) moves
	 * to the default asynchronous executor, never the delayer's thread nor the thread
	 * that completed the previous load.
	 *
	 * Refresh: the reading thread registers the Load (putIfAbsent, so one reload however
	 * many stale reads) without an owner thread, and hands it to the executor; the
	 * executor thread sets itself as owner before it runs the call. A Load without an
	 * owner is no link of a cycle. The Load remembers the stored entry it replaces, and the
	 * store's publish keeps any other entry (a newer value written meanwhile). If the
	 * executor refuses the reload, the Load completes with the value the reader saw, so a
	 * caller that joined it meanwhile gets what the store held.
	 * On the executor, the store may decline the reload (Store.beginReload: a shared tier
	 * whose lease another instance holds); the Load then completes with that value too.
	 *
	 * Shared tier (several instances): between steps 2 and 3 the owner asks the store's
	 * shared tier (Store.lookupShared), which answers with the value another instance
	 * stored, possibly after waiting for that instance's load, or takes the key's
	 * cluster-wide lease and leaves it in Load.attachment. The store's publish writes the
	 * shared tier only for a Load that holds the lease and was not invalidated; whatever
	 * the outcome, Store.loadEnded releases a lease still held, after step 6. The local
	 * joiners wait on the Load as always, so within an instance nothing changes. An
	 * asynchronous owner asks the shared tier on the default asynchronous executor (the
	 * wait must not block its caller) and starts the call there, with a copy of its context.
	 */

	private static final Log logger = LogFactory.getLog(SingleFlight.class);

	/** Written by a joining thread before it waits and removed after; read by any joiner. */
	private static final Map<Thread, Load> WAITING = new ConcurrentHashMap<>();

	/** What a synchronous join returns when its load was abandoned to the joiners. */
	private static final Object TAKE_OVER = new Object();

	/** What completes an asynchronous joiner's wait when the wait timeout comes first. */
	private static final Object TIMED_OUT = new Object();

	private final String cacheName;

	private final Store store;

	private final CacheStatistics statistics;

	private final long waitTimeoutNanos;

	/** Measures each load's duration for the stored entry (early refresh reads it). */
	private final Ticker ticker;

	/** Keys with a load in flight. Written by owners (register/unregister) and invalidators. */
	private final ConcurrentHashMap<Object, Load> inFlight = new ConcurrentHashMap<>();

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
		for (;;) {
			Load load = new Load(Thread.currentThread());
			Load running = this.inFlight.putIfAbsent(key, load);
			if (running == null) {
				return own(key, load, loader, context);
			}
			Object outcome = join(key, running, loader, context);
			if (outcome != TAKE_OVER) {
				return outcome;
			}
			// the owner was interrupted: start over, as the owner of a new load or its joiner
		}
	}

	private @Nullable Object own(Object key, Load load, Loader loader, Object context) throws Throwable {
		boolean loading = false;
		long start = 0;
		try {
			Object stored = this.store.lookup(key);
			if (stored == null) {
				// a tier shared by several instances: its value, or another instance's load of it
				stored = this.store.lookupShared(key, load);
			}
			if (stored != null) {
				Object value = NullValue.unmask(stored);
				this.statistics.recordHit();
				load.complete(value);
				return value;
			}
			this.statistics.recordMiss();
			loading = true;
			start = System.nanoTime();
			long began = this.ticker.read();
			Object value = run(loader, context);
			load.loadNanos = this.ticker.read() - began;
			if (loader.isStorable(context, value)) {
				this.store.publish(key, value, load);
			}
			load.complete(value);
			return value;
		}
		catch (Throwable ex) {
			complete(key, load, isInterruption(ex, Thread.currentThread().isInterrupted()) ? new Abandoned(ex)
					: new Failure(ex));
			throw ex;
		}
		finally {
			this.inFlight.remove(key, load);
			this.store.loadEnded(key, load);
			if (loading && logger.isDebugEnabled()) {
				logLoad(key, load, System.nanoTime() - start);
			}
		}
	}

	/**
	 * Complete a failed load. An abandoned one is unregistered first: the joiners it wakes
	 * start over, and must not find it registered (and join it again) when they do.
	 */
	private void complete(Object key, Load load, Object failure) {
		if (failure instanceof Abandoned) {
			this.inFlight.remove(key, load);
		}
		load.complete(failure);
	}

	/**
	 * Whether a failed load ended because its owner was interrupted (G11), so that the
	 * joined callers take it over instead of sharing the failure.
	 * @param error the failure, unwrapped
	 * @param ownerInterrupted whether the owner's interrupt flag was set when it failed
	 * @return whether the failure is the owner's own
	 */
	static boolean isInterruption(Throwable error, boolean ownerInterrupted) {
		if (ownerInterrupted) {
			return true;
		}
		Throwable cause = error;
		for (int depth = 0; cause != null && depth < 32; depth++) {
			if (cause instanceof InterruptedException || cause instanceof InterruptedIOException
					|| cause instanceof ClosedByInterruptException) {
				return true;
			}
			cause = (cause.getCause() != cause) ? cause.getCause() : null;
		}
		return false;
	}

	private void logLoad(Object key, Load load, long nanos) {
		Object outcome = load.getNow(null);
		logger.debug("Cache '" + this.cacheName + "' loaded key " + key + " in "
				+ String.format(Locale.ROOT, "%.3f", nanos / 1_000_000.0) + " ms ("
				+ ((outcome instanceof Failure failure) ? "failed: " + failure.error.getClass().getName()
						: (outcome instanceof Abandoned abandoned)
								? "interrupted: " + abandoned.error.getClass().getName() + ", left to the joined callers"
								: "success")
				+ (load.invalidated ? ", invalidated, not stored" : "") + "), " + load.joined
				+ " coalesced caller(s)");
	}

	private @Nullable Object join(Object key, Load running, Loader loader, Object context) throws Throwable {
		Thread self = Thread.currentThread();
		if (running.owner == self) {
			throw new IllegalStateException("Recursive load of cache '" + this.cacheName + "' key '" + key
					+ "': the method called itself for the same key on the same thread");
		}
		Object outcome;
		WAITING.put(self, running);
		try {
			VarHandle.fullFence();
			if (waitsFor(running, self)) {
				throw new IllegalStateException("Cyclic load of cache '" + this.cacheName + "' key '" + key
						+ "': the running load waits, through other threads, for a load of this thread");
			}
			this.statistics.recordCoalesced();
			Load.JOINED.incrementAndGet(running);
			outcome = (this.waitTimeoutNanos < 0) ? running.get()
					: running.get(this.waitTimeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new CacheWaitInterruptedException(this.cacheName, ex);
		}
		catch (TimeoutException ex) {
			// no longer waiting: a caller running the method itself is no link of a cycle
			WAITING.remove(self);
			this.statistics.recordMiss();
			return run(loader, context);
		}
		catch (ExecutionException ex) {
			// never: a Load completes normally
			throw ex.getCause();
		}
		finally {
			WAITING.remove(self);
		}
		// outside of the try: the owner's exception is never this caller's interrupt or timeout
		if (outcome instanceof Abandoned) {
			// no outcome received, so no hit: the retry counts this caller again
			return TAKE_OVER;
		}
		// a hit once the shared outcome is received: no count is ever taken back
		this.statistics.recordHit();
		if (outcome instanceof Failure failure) {
			throw failure.error;
		}
		return outcome;
	}

	/** Whether the owner of {@code load}, transitively, waits for a load of {@code self}. */
	private static boolean waitsFor(Load load, Thread self) {
		Load next = load;
		for (int hops = WAITING.size() + 1; next != null && hops > 0; hops--) {
			Thread owner = next.owner;
			if (next.isDone() || owner == null) {
				// a finished load wakes whoever waits for it, and a load that no thread runs
				// (asynchronous, or a reload not yet started on the refresh executor) waits
				// for nobody: the chain is no cycle
				return false;
			}
			if (owner == self) {
				return true;
			}
			next = WAITING.get(owner);
		}
		return false;
	}

	/**
	 * Start a background reload of {@code key}, unless a load of it is in flight; return
	 * at once. The reload runs {@code loader} on {@code refresher}'s executor with
	 * {@link Loader#refreshContext(Object) a copy} of the caller's context, and publishes
	 * its value only if the store still holds {@code stored} (or nothing) for the key and
	 * the key was not invalidated meanwhile. Its outcome is counted as a refresh and told
	 * to {@code refresher}; a failure leaves the stored entry in place.
	 * @param key the key
	 * @param stored the stored object the caller read (the reload replaces only it)
	 * @param value the value the caller read, unmasked, handed to any caller that joined
	 * the reload if the executor refuses it
	 * @param loader the work to run
	 * @param context the caller's context
	 * @param refresher the executor and the listener
	 */
	public void refresh(Object key, Object stored, @Nullable Object value, Loader loader, Object context,
			Refresher refresher) {
		if (this.inFlight.containsKey(key)) {
			return;
		}
		Load load = new Load(null);
		load.replaces = stored;
		if (this.inFlight.putIfAbsent(key, load) != null) {
			return;
		}
		try {
			Object copy = loader.refreshContext(context);
			refresher.execute(() -> reload(key, load, value, loader, copy, refresher));
		}
		catch (Throwable ex) {
			this.inFlight.remove(key, load);
			load.complete(value);
			this.statistics.recordRefreshFailure();
			refresher.failed(key, ex);
		}
	}

	private void reload(Object key, Load load, @Nullable Object current, Loader loader, Object context,
			Refresher refresher) {
		load.owner = Thread.currentThread();
		boolean begun = false;
		try {
			begun = this.store.beginReload(key, load);
			if (!begun) {
				// another instance reloads this key: its value reaches this store through the
				// shared tier; whoever joined meanwhile gets what the store held
				load.complete(current);
				return;
			}
			long began = this.ticker.read();
			Object value = run(loader, context);
			load.loadNanos = this.ticker.read() - began;
			if (loader.isStorable(context, value)) {
				this.store.publish(key, value, load);
			}
			load.complete(value);
			this.statistics.recordRefreshSuccess();
			refresher.succeeded(key);
		}
		catch (Throwable ex) {
			// a reload stopped by the executor's interruption is no failure of a caller that joined it
			load.complete(isInterruption(ex, Thread.currentThread().isInterrupted()) ? new Abandoned(ex)
					: new Failure(ex));
			this.statistics.recordRefreshFailure();
			refresher.failed(key, ex);
		}
		finally {
			if (begun) {
				this.store.reloadEnded(key, load);
			}
			this.inFlight.remove(key, load);
		}
	}

	private @Nullable Object run(Loader loader, Object context) throws Throwable {
		this.statistics.loadStarted();
		long start = System.nanoTime();
		try {
			Object value = loader.load(context);
			this.statistics.recordLoadSuccess(System.nanoTime() - start);
			return value;
		}
		catch (Throwable ex) {
			this.statistics.recordLoadFailure(System.nanoTime() - start);
			throw ex;
		}
	}

	/**
	 * Return a future of the value for {@code key}, joining the running load or starting
	 * {@code loader} as the owner of a new one. Call this after a miss in the store. Never
	 * blocks and never throws: every outcome arrives through the returned future, which
	 * belongs to this caller alone (cancelling it cancels nothing else).
	 * <p>
	 * The returned future completes with the value (possibly {@code null}), or
	 * exceptionally with:
	 * <ul>
	 * <li>{@link IllegalStateException} if the caller's own thread is starting the load of
	 * this key (the call called itself); nothing is left in flight</li>
	 * <li>whatever the call's stage completed with (unwrapped from
	 * {@link CompletionException}) or the call threw, the same instance for the owner and
	 * every joined caller, except a failure caused by the owner's interruption or a
	 * cancelled stage, which only the owner gets; the mapping is left unestablished</li>
	 * </ul>
	 * @param key the key
	 * @param loader the work to start when this caller owns the load
	 * @param context the caller's own argument to the loader (its method invocation)
	 * @return this caller's own future of the value
	 */
	public CompletableFuture<@Nullable Object> loadAsync(Object key, AsyncLoader loader, Object context) {
		Load load = new Load(Thread.currentThread());
		Load running = this.inFlight.putIfAbsent(key, load);
		if (running != null) {
			return joinAsync(key, running, loader, context);
		}
		return ownAsync(key, load, loader, context);
	}

	private CompletableFuture<@Nullable Object> ownAsync(Object key, Load load, AsyncLoader loader, Object context) {
		CompletableFuture<@Nullable Object> mine = new CompletableFuture<>();
		Object stored;
		try {
			stored = this.store.lookup(key);
		}
		catch (Throwable ex) {
			load.complete(new Failure(ex));
			this.inFlight.remove(key, load);
			mine.completeExceptionally(ex);
			return mine;
		}
		if (stored != null) {
			Object value = NullValue.unmask(stored);
			this.statistics.recordHit();
			load.complete(value);
			this.inFlight.remove(key, load);
			mine.complete(value);
			return mine;
		}
		if (this.store.isShared()) {
			// the shared tier may wait for another instance's load: never on the caller's
			// thread, so the call starts, with a copy of the context, where that wait ended
			Object copy = loader.refreshContext(context);
			load.owner = null;
			CompletableFuture.runAsync(() -> ownAsyncShared(key, load, loader, copy, mine));
			return mine;
		}
		return startAsync(key, load, loader, context, mine);
	}

	private void ownAsyncShared(Object key, Load load, AsyncLoader loader, Object context,
			CompletableFuture<@Nullable Object> mine) {
		Object shared;
		try {
			shared = this.store.lookupShared(key, load);
		}
		catch (Throwable ex) {
			shared = null;
		}
		if (shared != null) {
			Object value = NullValue.unmask(shared);
			this.statistics.recordHit();
			load.complete(value);
			this.inFlight.remove(key, load);
			this.store.loadEnded(key, load);
			mine.complete(value);
			return;
		}
		startAsync(key, load, loader, context, mine);
	}

	private CompletableFuture<@Nullable Object> startAsync(Object key, Load load, AsyncLoader loader, Object context,
			CompletableFuture<@Nullable Object> mine) {
		this.statistics.recordMiss();
		this.statistics.loadStarted();
		long start = System.nanoTime();
		long began = this.ticker.read();
		CompletionStage<?> stage;
		try {
			stage = loader.loadAsync(context);
		}
		catch (Throwable ex) {
			finishAsync(key, load, loader, context, null, ex, Thread.currentThread().isInterrupted(), start, began);
			deliver(mine, load.getNow(null));
			return mine;
		}
		finally {
			// the call has returned: no thread runs this load any more
			load.owner = null;
		}
		if (stage == null) {
			finishAsync(key, load, loader, context, null, null, false, start, began);
		}
		else {
			stage.whenComplete(
					(value, error) -> finishAsync(key, load, loader, context, value, error, false, start, began));
		}
		load.thenAccept((outcome) -> deliver(mine, outcome));
		return mine;
	}

	/**
	 * Steps 4 to 6 of an asynchronous owner, on the thread that completed the call's stage
	 * (or the owner's, when the call threw or returned no stage).
	 */
	private void finishAsync(Object key, Load load, AsyncLoader loader, Object context, @Nullable Object value,
			@Nullable Throwable error, boolean ownerInterrupted, long start, long began) {
		long nanos = System.nanoTime() - start;
		try {
			if (error == null) {
				load.loadNanos = this.ticker.read() - began;
				this.statistics.recordLoadSuccess(nanos);
				if (loader.isStorable(context, value)) {
					this.store.publish(key, value, load);
				}
				load.complete(value);
			}
			else {
				Throwable failure = unwrap(error);
				this.statistics.recordLoadFailure(nanos);
				complete(key, load,
						(failure instanceof CancellationException || isInterruption(failure, ownerInterrupted))
								? new Abandoned(failure) : new Failure(failure));
			}
		}
		catch (Throwable ex) {
			// unless or the store failed: shared like a failure of the call
			load.complete(new Failure(ex));
		}
		finally {
			this.inFlight.remove(key, load);
			this.store.loadEnded(key, load);
			if (logger.isDebugEnabled()) {
				logLoad(key, load, nanos);
			}
		}
	}

	private CompletableFuture<@Nullable Object> joinAsync(Object key, Load running, AsyncLoader loader,
			Object context) {
		CompletableFuture<@Nullable Object> mine = new CompletableFuture<>();
		if (running.owner == Thread.currentThread()) {
			mine.completeExceptionally(new IllegalStateException("Recursive load of cache '" + this.cacheName
					+ "' key '" + key + "': the method called itself for the same key on the same thread"));
			return mine;
		}
		this.statistics.recordCoalesced();
		Load.JOINED.incrementAndGet(running);
		CompletableFuture<Object> waited = running;
		if (this.waitTimeoutNanos >= 0) {
			waited = new CompletableFuture<>();
			running.thenAccept(waited::complete);
			waited.completeOnTimeout(TIMED_OUT, this.waitTimeoutNanos, TimeUnit.NANOSECONDS);
		}
		waited.thenAccept((outcome) -> {
			if (outcome == TIMED_OUT) {
				this.statistics.recordMiss();
				CompletableFuture.runAsync(() -> runAsync(loader, context, mine));
			}
			else if (outcome instanceof Abandoned) {
				// no outcome received, so no hit: start over, as the owner of a new load or its joiner, off the completing thread
				CompletableFuture.runAsync(() -> loadAsync(key, loader, context).whenComplete((value, error) -> {
					if (error != null) {
						mine.completeExceptionally(error);
					}
					else {
						mine.complete(value);
					}
				}));
			}
			else {
				// a hit once the shared outcome is received
				this.statistics.recordHit();
				deliver(mine, outcome);
			}
		});
		return mine;
	}

	/** A joiner whose wait timed out starts the call for itself; nothing is stored. */
	private void runAsync(AsyncLoader loader, Object context, CompletableFuture<@Nullable Object> mine) {
		this.statistics.loadStarted();
		long start = System.nanoTime();
		CompletionStage<?> stage;
		try {
			stage = loader.loadAsync(context);
		}
		catch (Throwable ex) {
			this.statistics.recordLoadFailure(System.nanoTime() - start);
			mine.completeExceptionally(ex);
			return;
		}
		if (stage == null) {
			this.statistics.recordLoadSuccess(System.nanoTime() - start);
			mine.complete(null);
			return;
		}
		stage.whenComplete((value, error) -> {
			long nanos = System.nanoTime() - start;
			if (error != null) {
				this.statistics.recordLoadFailure(nanos);
				mine.completeExceptionally(unwrap(error));
			}
			else {
				this.statistics.recordLoadSuccess(nanos);
				mine.complete(value);
			}
		});
	}

	/** Complete an asynchronous caller's own future from a Load's outcome. */
	private static void deliver(CompletableFuture<@Nullable Object> mine, @Nullable Object outcome) {
		if (outcome instanceof Failure failure) {
			mine.completeExceptionally(failure.error);
		}
		else if (outcome instanceof Abandoned abandoned) {
			mine.completeExceptionally(abandoned.error);
		}
		else {
			mine.complete(outcome);
		}
	}

	private static Throwable unwrap(Throwable error) {
		Throwable unwrapped = error;
		while (unwrapped instanceof CompletionException && unwrapped.getCause() != null) {
			unwrapped = unwrapped.getCause();
		}
		return unwrapped;
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
	public void invalidateIf(java.util.function.Predicate<Object> keys) {
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
	 * The work behind a cache: it runs only for the caller that owns the load (or whose
	 * wait timed out), with that caller's context. Stateless, so one instance serves
	 * every call and a hit allocates nothing.
	 */
	public interface Loader {

		/**
		 * Run the cached method.
		 * @param context the calling caller's context (its method invocation)
		 * @return the result
		 * @throws Throwable whatever the method throws
		 */
		@Nullable Object load(Object context) throws Throwable;

		/**
		 * Whether the owner should publish this result ({@code unless} veto).
		 * @param context the calling caller's context
		 * @param result the result of {@link #load(Object)}
		 * @return {@code true} to store it
		 */
		default boolean isStorable(Object context, @Nullable Object result) {
			return true;
		}

		/**
		 * Return a context that a background reload may run on another thread after the
		 * calling caller has returned (for a method invocation: a clone that proceeds
		 * through the rest of the advice chain).
		 * @param context the calling caller's context
		 * @return the context for the reload
		 */
		default Object refreshContext(Object context) {
			return context;
		}

	}

	/**
	 * The work behind a cache whose method returns a future or a publisher: it starts the
	 * call, on the caller's thread, and returns the stage of its eventual value. Like
	 * {@link Loader}, it runs only for the caller that owns the load (or whose wait timed
	 * out, or who took the load over), and is stateless.
	 */
	public interface AsyncLoader {

		/**
		 * Start the cached method.
		 * @param context the calling caller's context (its method invocation)
		 * @return the stage of the eventual value, or {@code null} for a {@code null} value
		 * @throws Throwable whatever the method throws before it returns its result
		 */
		@Nullable CompletionStage<?> loadAsync(Object context) throws Throwable;

		/**
		 * Return the context a background reload runs with, made on the reading thread
		 * (see {@link Loader#refreshContext(Object)}).
		 * @param context the reading caller's context
		 * @return the context for the reload
		 */
		default Object refreshContext(Object context) {
			return context;
		}

		/**
		 * Whether the owner should publish this eventual value ({@code unless} veto).
		 * @param context the calling caller's context
		 * @param result the value the stage of {@link #loadAsync(Object)} completed with
		 * @return {@code true} to store it
		 */
		default boolean isStorable(Object context, @Nullable Object result) {
			return true;
		}

	}

	/**
	 * An {@link AsyncLoader} seen as a {@link Loader} that waits for the eventual value:
	 * for a background reload only, which runs on the refresh executor, never on a
	 * caller's thread.
	 */
	static final class BlockingLoader implements Loader {

		private final AsyncLoader loader;

		BlockingLoader(AsyncLoader loader) {
			this.loader = loader;
		}

		@Override
		public @Nullable Object load(Object context) throws Throwable {
			CompletionStage<?> stage = this.loader.loadAsync(context);
			if (stage == null) {
				return null;
			}
			CompletableFuture<@Nullable Object> value = new CompletableFuture<>();
			stage.whenComplete((result, error) -> {
				if (error != null) {
					value.completeExceptionally(unwrap(error));
				}
				else {
					value.complete(result);
				}
			});
			try {
				return value.get();
			}
			catch (ExecutionException ex) {
				throw ex.getCause();
			}
		}

		@Override
		public boolean isStorable(Object context, @Nullable Object result) {
			return this.loader.isStorable(context, result);
		}

		@Override
		public Object refreshContext(Object context) {
			return this.loader.refreshContext(context);
		}

	}

	/**
	 * Where a load's value is looked up and published.
	 */
	public interface Store {

		/**
		 * Return the stored value, masked ({@link NullValue}), or {@code null} if absent.
		 * @param key the key
		 * @return the masked value or {@code null}
		 */
		@Nullable Object lookup(Object key);

		/**
		 * Store {@code value} unless {@code load} has been invalidated; the check must be
		 * atomic with the write.
		 * @param key the key
		 * @param value the value, possibly {@code null}
		 * @param load the load that produced it
		 */
		void publish(Object key, @Nullable Object value, Load load);

		/**
		 * Called by the owner of a load after {@link #lookup} missed and before it runs the
		 * call: a store with a tier shared by several instances returns the value found
		 * there, waiting for another instance's load of the key when there is one, or takes
		 * the key's cluster-wide lease for {@code load}. By default there is no such tier.
		 * @param key the key
		 * @param load the owner's load
		 * @return the masked value, or {@code null} to run the call
		 */
		default @Nullable Object lookupShared(Object key, Load load) {
			return null;
		}

		/**
		 * Whether {@link #lookupShared} may call a shared tier (and so wait): an
		 * asynchronous owner then calls it off the caller's thread.
		 * @return whether the store has a shared tier
		 */
		default boolean isShared() {
			return false;
		}

		/**
		 * Called when a load ends, however it ends, after it was unregistered: release
		 * what {@link #lookupShared} took. Must not throw.
		 * @param key the key
		 * @param load the load
		 */
		default void loadEnded(Object key, Load load) {
		}

		/**
		 * Called on the refresh executor before a background reload runs the call: a store
		 * with a tier shared by several instances takes the key's cluster-wide lease here
		 * (so that one instance reloads a key, and writes the shared tier in
		 * {@link #publish}), and returns {@code false} when another instance holds it, which
		 * skips this reload (it is neither a success nor a failure). By default every
		 * reload runs.
		 * @param key the key
		 * @param load the reload's load
		 * @return whether to run the reload
		 */
		default boolean beginReload(Object key, Load load) {
			return true;
		}

		/**
		 * Called when a reload that {@link #beginReload} let run ends, however it ends:
		 * release what {@link #beginReload} took. Must not throw.
		 * @param key the key
		 * @param load the reload's load
		 */
		default void reloadEnded(Object key, Load load) {
		}

	}

	/**
	 * One load in flight. Completes normally with the value, a {@link Failure}, or an
	 * {@link Abandoned} failure that only its owner gets.
	 */
	public static final class Load extends CompletableFuture<Object> {

		static final AtomicIntegerFieldUpdater<Load> JOINED = AtomicIntegerFieldUpdater.newUpdater(Load.class,
				"joined");

		/**
		 * The thread that runs the call. Set at creation, or by the refresh executor's
		 * thread when a background reload starts ({@code null} until then); cleared by an
		 * asynchronous owner once the call has returned its stage (no thread runs the load
		 * any more); read by joiners for the deadlock checks.
		 */
		volatile @Nullable Thread owner;

		/** Set once by an invalidator; read by the owner inside the store's publish. */
		volatile boolean invalidated;

		/** Incremented by each joiner; read by the owner for its debug line. */
		volatile int joined;

		/** What the store keeps about this load in a shared tier (its lease). */
		volatile @Nullable Object attachment;

		/** Written by the owner after the call, before it publishes; read by the store. */
		long loadNanos;

		/**
		 * For a background reload, the stored object it was started from; written before
		 * the Load is registered, read by the store's publish. {@code null} for a load.
		 */
		@Nullable Object replaces;

		Load(@Nullable Thread owner) {
			this.owner = owner;
		}

		/**
		 * Return how long the call took, as the ticker measured it; valid in the store's
		 * publish.
		 * @return the load time in nanoseconds
		 */
		public long loadNanos() {
			return this.loadNanos;
		}

		/**
		 * Return the stored object a background reload replaces, or {@code null} for a load
		 * that fills a missing key. The store must keep any other object it finds.
		 * @return the stored object the reload started from
		 */
		public @Nullable Object replaces() {
			return this.replaces;
		}

		/**
		 * Return what the store keeps about this load in a shared tier, such as its lease.
		 * @return the attachment, or {@code null}
		 */
		public @Nullable Object attachment() {
			return this.attachment;
		}

		/**
		 * Keep something about this load for the store (see {@link #attachment()}).
		 * @param attachment the attachment
		 */
		public void attach(@Nullable Object attachment) {
			this.attachment = attachment;
		}

		/**
		 * Whether an invalidation detached this load, so its value must not be stored.
		 * @return whether the load was invalidated
		 */
		public boolean isInvalidated() {
			return this.invalidated;
		}

	}

	/** A failure shared with every caller of the load (G3). */
	private record Failure(Throwable error) {
	}

	/** A failure caused by the owner's interruption: the owner's alone, joiners take over (G11). */
	private record Abandoned(Throwable error) {
	}

}
