package dev.cached.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

/**
 * One cache reduced to what the concurrency guarantees speak of, for the tools that explore
 * its interleavings instead of a test's latches ({@link SingleFlightLincheckTests}, and
 * {@code SingleFlightFrayTests} on Java 25): a {@link SingleFlight} in front of a plain
 * {@link ConcurrentHashMap} store, loaders that count their executions and return a fresh
 * {@link Value} (or throw a fresh {@link LoadFailure}) per execution, and a {@link Ledger}
 * that checks each guarantee where it can be observed:
 * <ul>
 * <li>G1: an execution of a key's loader starts while another one runs, although no
 * invalidation of the key overlapped the other one's call (its load cannot have been
 * detached);</li>
 * <li>G2: an execution starts while the store holds a value for the key, although no
 * invalidation of the key overlapped its own call;</li>
 * <li>G3 exact: a call receives a failure that some caller had already received before
 * this call started;</li>
 * <li>G8: the store holds a value whose execution started before an invalidation of the key
 * that has ended (so that invalidation detached its load);</li>
 * <li>G9: a load is still in flight once every call has returned.</li>
 * </ul>
 * A violation is recorded and thrown as an {@link AssertionError} where it is seen (in a
 * loader, the engine shares it with the callers like any failure); {@link #verifyAtRest()}
 * also reports every one recorded.
 * <p>
 * The operations are the ones a cache runs: {@link #load} and {@link #loadAsync} read the
 * store and on a miss go through the registry, {@link #invalidate} detaches the key's load
 * and then removes the key from the store. Only the parts of the registry's API that stay
 * after the engine's restructuring are used: the constructor, {@code load},
 * {@code loadAsync}, {@code invalidate}, {@code invalidateAll}, {@code inFlightKeys}, and a
 * {@code Store} with {@code lookup} and {@code publish}.
 */
final class SingleFlightHarness {

	/** The keys are 1 to {@code KEYS}. */
	static final int KEYS = 2;

	private static final Loader LOADER = (context) -> ((Call) context).execute();

	private static final AsyncLoader ASYNC_LOADER = (context) -> ((Call) context).executeAsync();

	private final MapStore store = new MapStore();

	private final SingleFlight flight = new SingleFlight("tools", this.store, new CacheStatistics(), null);

	private final Ledger ledger = new Ledger();

	/**
	 * Return the value of {@code key} as a synchronous cached method does: from the store, or
	 * through the registry, whose loader (if this call runs it) ends as {@code outcome} says.
	 * @param key the key
	 * @param outcome how an execution for this call ends
	 * @return the value
	 * @throws LoadFailure the failure of the load this call ran or joined
	 */
	Value load(int key, Outcome outcome) throws Throwable {
		Call call = this.ledger.callStarts(this, key, outcome, null);
		this.ledger.checkNothingStale(key, this.store);
		Object stored = this.store.lookup(key);
		if (stored != null) {
			return (Value) NullValue.unmask(stored);
		}
		try {
			return (Value) this.flight.load(key, LOADER, call);
		}
		catch (LoadFailure ex) {
			this.ledger.failureReceived(call, ex);
			throw ex;
		}
	}

	/**
	 * Return a future of the value of {@code key} as an asynchronous cached method does. An
	 * execution for this call returns a stage that completes when {@code gate} does (or at
	 * once, without a gate), with a fresh value or failure as {@code outcome} says.
	 * @param key the key
	 * @param outcome how an execution for this call ends
	 * @param gate what an execution's stage waits for, or {@code null}
	 * @return this caller's future
	 */
	CompletableFuture<Value> loadAsync(int key, Outcome outcome, @Nullable CompletableFuture<?> gate) {
		Call call = this.ledger.callStarts(this, key, outcome, gate);
		this.ledger.checkNothingStale(key, this.store);
		Object stored = this.store.lookup(key);
		if (stored != null) {
			return CompletableFuture.completedFuture((Value) NullValue.unmask(stored));
		}
		CompletableFuture<Value> mine = new CompletableFuture<>();
		this.flight.loadAsync(key, ASYNC_LOADER, call).whenComplete((value, error) -> {
			if (error == null) {
				mine.complete((Value) value);
				return;
			}
			Throwable failure = unwrap(error);
			if (failure instanceof LoadFailure loadFailure) {
				try {
					// received once the future completed: that is when its caller sees it
					this.ledger.failureReceived(call, loadFailure);
				}
				catch (AssertionError violation) {
					failure = violation;
				}
			}
			mine.completeExceptionally(failure);
		});
		return mine;
	}

	/**
	 * Invalidate {@code key} as a cache does: detach its load, then remove it from the store.
	 * @param key the key
	 */
	void invalidate(int key) {
		long started = this.ledger.invalidationStarts(key);
		this.flight.invalidate(key);
		this.store.values.remove(key);
		this.ledger.invalidationEnds(key, started);
		this.ledger.checkNothingStale(key, this.store);
	}

	/**
	 * Invalidate every key as a cache's clear does: detach every load, then clear the store.
	 */
	void invalidateAll() {
		long[] started = new long[KEYS + 1];
		for (int key = 1; key <= KEYS; key++) {
			started[key] = this.ledger.invalidationStarts(key);
		}
		this.flight.invalidateAll();
		this.store.values.clear();
		for (int key = 1; key <= KEYS; key++) {
			this.ledger.invalidationEnds(key, started[key]);
			this.ledger.checkNothingStale(key, this.store);
		}
	}

	/**
	 * Check, once every call has returned, that nothing is left in flight (G9), that no
	 * stale value is stored (G8), and that no violation was recorded on the way.
	 */
	void verifyAtRest() {
		for (int key = 1; key <= KEYS; key++) {
			this.ledger.checkNothingStale(key, this.store);
		}
		int inFlight = this.flight.inFlightKeys();
		if (inFlight != 0) {
			this.ledger.violation("G9: " + inFlight + " key(s) still in flight after every call returned");
		}
		this.ledger.verify();
	}

	/**
	 * Return how many times the loaders of {@code key} ran.
	 * @param key the key
	 * @return the number of executions
	 */
	int executions(int key) {
		return this.ledger.executions(key);
	}

	/**
	 * Record a violation that a scenario observed itself, and throw it.
	 * @param message what went wrong, naming the guarantee
	 */
	void violation(String message) {
		this.ledger.violation(message);
	}

	static Throwable unwrap(Throwable error) {
		Throwable unwrapped = error;
		while (unwrapped instanceof CompletionException && unwrapped.getCause() != null) {
			unwrapped = unwrapped.getCause();
		}
		return unwrapped;
	}

	/** How an execution of the loader for a call ends. */
	enum Outcome {

		/** With a fresh value. */
		SUCCEED,

		/** With a fresh failure. */
		FAIL

	}

	/** The value of one execution: a new object each time, so that identity tells executions apart. */
	static final class Value {

		final int key;

		final int execution;

		/** The ledger's clock when the execution started. */
		final long startedAt;

		Value(int key, int execution, long startedAt) {
			this.key = key;
			this.execution = execution;
			this.startedAt = startedAt;
		}

		@Override
		public String toString() {
			return "value of execution " + this.execution + " of key " + this.key;
		}

	}

	/** The failure of one execution: a new instance each time. */
	static final class LoadFailure extends RuntimeException {

		private static final long serialVersionUID = 1L;

		/** The ledger's clock when a caller first received this failure; 0 until then. Guarded by the ledger. */
		transient long receivedAt;

		LoadFailure(int key, int execution) {
			super("execution " + execution + " of key " + key + " failed", null, false, false);
		}

	}

	/** The caller's own argument to the loader, as a method invocation is in a cache. */
	final class Call {

		final int key;

		final Outcome outcome;

		final @Nullable CompletableFuture<?> gate;

		/** The ledger's clock when the call started. */
		final long startedAt;

		/** How many invalidations of the key had ended when the call started. */
		final int invalidationsEndedAtStart;

		Call(int key, Outcome outcome, @Nullable CompletableFuture<?> gate, long startedAt,
				int invalidationsEndedAtStart) {
			this.key = key;
			this.outcome = outcome;
			this.gate = gate;
			this.startedAt = startedAt;
			this.invalidationsEndedAtStart = invalidationsEndedAtStart;
		}

		Value execute() {
			Execution execution = SingleFlightHarness.this.ledger.executionStarts(this,
					SingleFlightHarness.this.store);
			try {
				return execution.outcome();
			}
			finally {
				SingleFlightHarness.this.ledger.executionEnds(execution);
			}
		}

		CompletionStage<Value> executeAsync() {
			if (this.gate == null) {
				CompletableFuture<Value> stage = new CompletableFuture<>();
				try {
					stage.complete(execute());
				}
				catch (LoadFailure ex) {
					stage.completeExceptionally(ex);
				}
				return stage;
			}
			Execution execution = SingleFlightHarness.this.ledger.executionStarts(this,
					SingleFlightHarness.this.store);
			return this.gate.handle((ignored, error) -> {
				try {
					return execution.outcome();
				}
				finally {
					SingleFlightHarness.this.ledger.executionEnds(execution);
				}
			});
		}

	}

	/** One execution of a loader, from its start until its stage completes. */
	static final class Execution {

		final Call call;

		final int number;

		final long startedAt;

		Execution(Call call, int number, long startedAt) {
			this.call = call;
			this.number = number;
			this.startedAt = startedAt;
		}

		Value outcome() {
			if (this.call.outcome == Outcome.FAIL) {
				throw new LoadFailure(this.call.key, this.number);
			}
			return new Value(this.call.key, this.number, this.startedAt);
		}

	}

	/**
	 * A store that keeps values in a {@link ConcurrentHashMap}: a load's publish writes unless
	 * the load was invalidated, checked inside the map's atomic compute.
	 */
	static final class MapStore implements Store {

		final Map<Object, Object> values = new ConcurrentHashMap<>();

		@Override
		public @Nullable Object lookup(Object key) {
			return this.values.get(key);
		}

		@Override
		public void publish(Object key, @Nullable Object value, Load load) {
			Object masked = NullValue.mask(value);
			this.values.compute(key, (k, old) -> load.isInvalidated() ? old : masked);
		}

	}

	/**
	 * What happened so far, on one logical clock, and the checks that read it. Every method
	 * is atomic (one monitor): its bookkeeping is no part of what the tools explore.
	 */
	static final class Ledger {

		private long clock;

		private final int[] invalidationsStarted = new int[KEYS + 1];

		private final int[] invalidationsEnded = new int[KEYS + 1];

		/** Per key, when the latest-starting invalidation that has ended started. */
		private final long[] endedInvalidationStartedAt = new long[KEYS + 1];

		private final int[] executions = new int[KEYS + 1];

		private final List<Execution> running = new ArrayList<>();

		private final List<String> violations = new ArrayList<>();

		synchronized Call callStarts(SingleFlightHarness harness, int key, Outcome outcome,
				@Nullable CompletableFuture<?> gate) {
			return harness.new Call(key, outcome, gate, ++this.clock, this.invalidationsEnded[key]);
		}

		synchronized Execution executionStarts(Call call, MapStore store) {
			int key = call.key;
			Execution execution = new Execution(call, ++this.executions[key], ++this.clock);
			for (Execution other : this.running) {
				// one of the two loads can have been detached only by an invalidation that overlapped
				// its call: the other's, or this one's (detached after it registered, before it ran)
				if (other.call.key == key && this.invalidationsStarted[key] == other.call.invalidationsEndedAtStart
						&& this.invalidationsStarted[key] == call.invalidationsEndedAtStart) {
					violation("G1: execution " + execution.number + " of key " + key + " started while execution "
							+ other.number + " ran, and no invalidation detached the load of that one");
				}
			}
			Object stored = store.lookup(key);
			if (stored != null && this.invalidationsStarted[key] == call.invalidationsEndedAtStart) {
				violation("G2: execution " + execution.number + " of key " + key + " started while the store held the "
						+ NullValue.unmask(stored) + ", and no invalidation of the key overlapped the call");
			}
			this.running.add(execution);
			return execution;
		}

		synchronized void executionEnds(Execution execution) {
			this.running.remove(execution);
		}

		synchronized void failureReceived(Call call, LoadFailure failure) {
			if (failure.receivedAt != 0 && failure.receivedAt < call.startedAt) {
				violation("G3: a call of key " + call.key + " started at " + call.startedAt + " received \""
						+ failure.getMessage() + "\", which a caller had received at " + failure.receivedAt
						+ ": it joined a load whose failure was already seen");
			}
			if (failure.receivedAt == 0) {
				failure.receivedAt = ++this.clock;
			}
		}

		synchronized long invalidationStarts(int key) {
			this.invalidationsStarted[key]++;
			return ++this.clock;
		}

		synchronized void invalidationEnds(int key, long startedAt) {
			this.invalidationsEnded[key]++;
			this.endedInvalidationStartedAt[key] = Math.max(this.endedInvalidationStartedAt[key], startedAt);
		}

		synchronized void checkNothingStale(int key, MapStore store) {
			Object stored = store.lookup(key);
			if (stored != null && NullValue.unmask(stored) instanceof Value value
					&& value.startedAt < this.endedInvalidationStartedAt[key]) {
				violation("G8: the store holds the " + value + ", which started before an invalidation of the key ("
						+ "at " + this.endedInvalidationStartedAt[key] + ") that has ended: an invalidated load was stored");
			}
		}

		synchronized int executions(int key) {
			return this.executions[key];
		}

		synchronized void violation(String message) {
			this.violations.add(message);
			throw new AssertionError(message);
		}

		synchronized void verify() {
			if (!this.violations.isEmpty()) {
				throw new AssertionError(String.join("\n", this.violations));
			}
		}

	}

}
