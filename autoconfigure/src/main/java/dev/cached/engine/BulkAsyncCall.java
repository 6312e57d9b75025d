package dev.cached.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * The asynchronous call of a bulk owner, handed to the tier: counts a miss per key
 * and a load per start, the outcome when its stage completes, and asks the loader
 * whether each value may be stored.
 */
final class BulkAsyncCall implements AsyncBulkCall {

	private final SingleFlight flight;

	private final Map<Object, Load> loads = new HashMap<>();

	private final AsyncBulkLoader loader;

	/** The owner's context; replaced by a copy in {@link #detach()}. */
	private volatile Object context;

	/** Whether each key's value may be stored, written where a stage completes. */
	private final Map<Object, Boolean> storable = new ConcurrentHashMap<>();

	BulkAsyncCall(SingleFlight flight, List<Object> keys, List<Load> loads, AsyncBulkLoader loader,
			Object context) {
		this.flight = flight;
		for (int i = 0; i < keys.size(); i++) {
			this.loads.put(keys.get(i), loads.get(i));
		}
		this.loader = loader;
		this.context = context;
	}

	@Override
	public CompletionStage<Map<Object, @Nullable Object>> start(List<Object> keys) throws Throwable {
		SingleFlight flight = this.flight;
		CacheStatistics statistics = flight.statistics;
		for (int i = 0; i < keys.size(); i++) {
			statistics.recordMiss();
		}
		statistics.loadStarted();
		long start = System.nanoTime();
		long began = flight.systemTicker ? start : flight.ticker.read();
		Object context = this.context;
		CompletionStage<? extends Map<Object, @Nullable Object>> stage;
		try {
			stage = this.loader.loadAllAsync(context, keys);
		}
		catch (Throwable ex) {
			statistics.recordLoadFailure(System.nanoTime() - start);
			throw ex;
		}
		CompletableFuture<Map<Object, @Nullable Object>> counted = new CompletableFuture<>();
		if (stage == null) {
			stage = CompletableFuture.completedFuture(Map.of());
		}
		stage.whenComplete((answer, error) -> {
			long end = System.nanoTime();
			if (error != null) {
				statistics.recordLoadFailure(end - start);
				counted.completeExceptionally(error);
				return;
			}
			statistics.recordLoadSuccess(end - start);
			long loadNanos = (flight.systemTicker ? end : flight.ticker.read()) - began;
			Map<Object, @Nullable Object> values = new HashMap<>();
			try {
				for (Object key : keys) {
					Object value = (answer != null) ? answer.get(key) : null;
					values.put(key, value);
					this.loads.get(key).loadNanos = loadNanos;
					this.storable.put(key, this.loader.isStorable(context, key, value));
				}
			}
			catch (Throwable ex) {
				// unless failed: shared like a failure of the call
				counted.completeExceptionally(ex);
				return;
			}
			counted.complete(values);
		});
		return counted;
	}

	@Override
	public AsyncBulkCall detach() {
		this.context = this.loader.refreshContext(this.context);
		return this;
	}

	@Override
	public boolean storable(Object key) {
		return Boolean.TRUE.equals(this.storable.get(key));
	}

	@Override
	public Object context() {
		return this.context;
	}

}
