package dev.cached.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.jspecify.annotations.Nullable;

/**
 * One load in flight, registered in a {@link SingleFlight} under its key. It completes
 * normally, never exceptionally, with the value, a {@link Failure} shared with every
 * caller, or an {@link Abandoned} failure that only its owner gets. It is never handed to
 * a caller: every caller reads its outcome into a result or a future of its own.
 */
public final class Load extends CompletableFuture<Object> {

	static final AtomicIntegerFieldUpdater<Load> JOINED = AtomicIntegerFieldUpdater.newUpdater(Load.class, "joined");

	/** {@link #sharedRemainingNanos} of a load whose value was not answered by a shared tier. */
	private static final long NOT_SHARED = Long.MIN_VALUE;

	/**
	 * The thread that runs the call. Set at creation, or by the refresh executor's thread
	 * when a background reload starts ({@code null} until then); cleared once no thread
	 * runs the load any more (an asynchronous call has returned its stage, or it starts on
	 * another thread); read by joiners for the deadlock checks.
	 */
	volatile @Nullable Thread owner;

	/** Set once by an invalidator; read by the owner inside the store's publish and by a shared tier. */
	volatile boolean invalidated;

	/**
	 * The {@link LoadObserver}'s handle of the execution, {@code null} while none started
	 * or when it is not observed. Written by the thread that runs the execution before the
	 * method runs; read by the observer when a wait for this load ends.
	 */
	volatile @Nullable Object observation;

	/** Incremented by each joiner; read by the owner for its debug line. */
	volatile int joined;

	/** Written by the owner after the call, before it publishes; read by the store. */
	long loadNanos;

	/**
	 * For a background reload, the stored object it was started from; written before the
	 * Load is registered, read by the store's publish. {@code null} for a load.
	 */
	@Nullable Object replaces;

	/**
	 * What remained of the value's life in a shared tier that answered it instead of the
	 * call, {@link #NOT_SHARED} when the call ran. Written by the tier on the owner's path
	 * before the owner publishes; read by the owner and the store.
	 */
	long sharedRemainingNanos = NOT_SHARED;

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
	 * Return the {@link LoadObserver}'s handle of the execution that obtains this load's
	 * value, once it started.
	 * @return the handle, or {@code null} (not started yet, or not observed)
	 */
	public @Nullable Object observation() {
		return this.observation;
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
	 * Whether an invalidation detached this load, so its value must not be stored,
	 * locally or in a shared tier.
	 * @return whether the load was invalidated
	 */
	public boolean isInvalidated() {
		return this.invalidated;
	}

	/**
	 * Called by a shared tier that answers this load with a value another instance stored,
	 * instead of running the call: the value is then a hit, and lives here no longer than
	 * it has left there.
	 * @param remainingNanos its remaining time to live in the tier, or a negative number
	 * for none
	 */
	public void fromSharedTier(long remainingNanos) {
		this.sharedRemainingNanos = (remainingNanos < 0) ? -1 : remainingNanos;
	}

	/**
	 * Whether a shared tier answered this load (see {@link #fromSharedTier(long)}).
	 * @return whether the value came from the shared tier
	 */
	public boolean isFromSharedTier() {
		return this.sharedRemainingNanos != NOT_SHARED;
	}

	/**
	 * Return what remained of the value's life in the shared tier that answered it.
	 * @return the remaining nanoseconds, or a negative number for no ttl there
	 */
	public long sharedRemainingNanos() {
		return this.sharedRemainingNanos;
	}

	/** A failure shared with every caller of the load (G3). */
	record Failure(Throwable error) {
	}

	/** A failure caused by the owner's interruption: the owner's alone, joiners take over (G11). */
	record Abandoned(Throwable error) {
	}

}
