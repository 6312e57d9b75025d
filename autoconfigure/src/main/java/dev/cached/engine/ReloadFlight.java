package dev.cached.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * The background reloads of a {@link SingleFlight} (refresh-ahead): a read of a stale
 * entry returns at once, and one reload of its key runs on the {@link Refresher}'s
 * executor as the owner of the key's load, so a caller that misses the store meanwhile
 * joins it. Its value replaces the stored entry only if that entry is still the one it
 * started from and the key was not invalidated meanwhile.
 */
final class ReloadFlight {

	/*
	 * Implementation notes.
	 *
	 * The reading thread registers the Load (putIfAbsent, so one reload however many stale
	 * reads) without an owner thread, and hands it to the executor; the executor thread sets
	 * itself as owner before it runs the call. A Load without an owner is no link of a
	 * cycle. The Load remembers the stored entry it replaces, and the store's publish keeps
	 * any other entry (a newer value written meanwhile). If the executor refuses the reload,
	 * the Load completes with the value the reader saw, so a caller that joined it meanwhile
	 * gets what the store held; so it does when a shared tier says that another instance
	 * reloads the key (RemoteCache.SKIPPED). Steps 4 to 6 are the owner's, through
	 * SingleFlight.succeed/fail.
	 */

	private final SingleFlight flight;

	ReloadFlight(SingleFlight flight) {
		this.flight = flight;
	}

	/** See {@link SingleFlight#refresh(Object, Object, Object, Loader, Object, Refresher, long)}. */
	void refresh(Object key, Object stored, @Nullable Object value, Loader loader, Object context,
			Refresher refresher, long takeSharedAbove) {
		if (this.flight.inFlight.containsKey(key)) {
			return;
		}
		Load load = new Load(null);
		load.replaces = stored;
		if (this.flight.inFlight.putIfAbsent(key, load) != null) {
			return;
		}
		try {
			Object copy = loader.refreshContext(context);
			refresher.execute(() -> reload(key, load, value, loader, copy, refresher, takeSharedAbove));
		}
		catch (Throwable ex) {
			this.flight.succeed(key, load, value, false);
			this.flight.statistics.recordRefreshFailure();
			refresher.failed(key, ex);
		}
	}

	private void reload(Object key, Load load, @Nullable Object current, Loader loader, Object context,
			Refresher refresher, long takeSharedAbove) {
		SingleFlight flight = this.flight;
		load.owner = Thread.currentThread();
		OwnerCall call = new OwnerCall(flight, load, loader, context, false);
		LoadObserver.Scope scope = Execution.observe(flight, load, LoadObserver.Trigger.REFRESH);
		Throwable failure = null;
		try {
			Object value = flight.tier.reload(key, load, takeSharedAbove, call);
			if (value == RemoteCache.SKIPPED) {
				// another instance reloads this key: its value reaches this store through the
				// shared tier; whoever joined meanwhile gets what the store held
				flight.succeed(key, load, current, false);
				return;
			}
			flight.succeed(key, load, value, load.isFromSharedTier() || call.storable());
			if (call.ran) {
				flight.statistics.recordRefreshSuccess();
				refresher.succeeded(key);
			}
		}
		catch (Throwable ex) {
			failure = ex;
			// a reload stopped by the executor's interruption is no failure of a caller that joined it
			flight.fail(key, load, ex, Execution.isInterruption(ex, Thread.currentThread().isInterrupted()));
			flight.statistics.recordRefreshFailure();
			refresher.failed(key, ex);
		}
		finally {
			Execution.observed(flight, load.observation, scope, failure);
		}
	}

	/**
	 * A hit in a cache that refreshes ahead: return the stored value, and start a background
	 * reload of the key if the refresher finds it due.
	 */
	static @Nullable Object readAhead(SingleFlight flight, CaffeineStore entries, Ticker ticker, Object key,
			Object stored, Refresher refresher, Loader loader, Object context) {
		if (!(stored instanceof StoredEntry entry)) {
			return NullValue.unmask(stored);
		}
		Object value = NullValue.unmask(entry.value);
		long now = ticker.read();
		if (refresher.isDue(now - entry.writtenAt, entries.remainingNanos(entry, now), entry.loadNanos())) {
			flight.refresh(key, entry, value, loader, context, refresher, entries.takeSharedAbove(entry, now));
		}
		return value;
	}

	/**
	 * Return a {@link Loader} that starts an {@link AsyncLoader}'s call and waits for its
	 * eventual value: for a background reload only, which runs on the refresh executor,
	 * never on a caller's thread.
	 * @param loader the asynchronous loader
	 * @return the blocking loader
	 */
	static Loader blocking(AsyncLoader loader) {
		return new BlockingLoader(loader);
	}

	private static final class BlockingLoader implements Loader {

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
					value.completeExceptionally(Execution.unwrap(error));
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

}
