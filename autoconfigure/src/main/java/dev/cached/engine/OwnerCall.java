package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * The call of a blocking owner (or a background reload), handed to the tier: counts a
 * miss (a load's owner, not a reload's) and a load when it runs, measures it, and asks
 * the loader once whether its value may be stored. Used by one thread at a time.
 */
final class OwnerCall implements RemoteCache.Call {

	private final SingleFlight flight;

	private final Load load;

	private final Loader loader;

	private final Object context;

	private final boolean countsMiss;

	/** Whether {@link #run()} was called, and when. */
	boolean ran;

	long startNanos;

	private boolean storable;

	OwnerCall(SingleFlight flight, Load load, Loader loader, Object context, boolean countsMiss) {
		this.flight = flight;
		this.load = load;
		this.loader = loader;
		this.context = context;
		this.countsMiss = countsMiss;
	}

	@Override
	public @Nullable Object run() throws Throwable {
		if (this.ran) {
			throw new IllegalStateException("The call of a load runs once");
		}
		this.ran = true;
		long start = System.nanoTime();
		this.startNanos = start;
		Object value = Execution.owned(this.flight, this.load, this.loader, this.context, this.countsMiss, start);
		this.storable = this.loader.isStorable(this.context, value);
		return value;
	}

	@Override
	public boolean storable() {
		return this.storable;
	}

	@Override
	public Object context() {
		return this.context;
	}

}
