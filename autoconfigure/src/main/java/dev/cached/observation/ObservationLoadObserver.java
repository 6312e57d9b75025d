package dev.cached.observation;

import dev.cached.engine.Load;
import dev.cached.engine.LoadObserver;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.ObservationView;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LoadObserver} that makes a {@code cached.load} observation of every
 * execution and a {@code cached.wait} observation of every wait, in an
 * {@link ObservationRegistry}. An execution's observation is current on the thread that
 * runs the method while it runs (so what the method observes, and the commands of a
 * shared tier, are its children); its parent is the observation current where it starts,
 * or the one the caller gives: for a {@code Mono} or {@code Flux}, the observation in the
 * Reactor {@code Context} of the subscription that starts the load; for a run on another
 * thread for a caller that waited (an asynchronous wait timeout or takeover), that
 * caller's parent. Handles are {@link Observation}s.
 */
public final class ObservationLoadObserver implements LoadObserver {

	private static final CachedLoadObservationConvention DEFAULT_LOAD = new DefaultCachedLoadObservationConvention();

	private static final CachedWaitObservationConvention DEFAULT_WAIT = new DefaultCachedWaitObservationConvention();

	private final ObservationRegistry registry;

	private final @Nullable CachedLoadObservationConvention loadConvention;

	private final @Nullable CachedWaitObservationConvention waitConvention;

	/**
	 * Create an observer with the default conventions.
	 * @param registry where observations are made
	 */
	public ObservationLoadObserver(ObservationRegistry registry) {
		this(registry, null, null);
	}

	/**
	 * Create an observer.
	 * @param registry where observations are made
	 * @param loadConvention replaces the default convention of {@code cached.load}, or
	 * {@code null}
	 * @param waitConvention replaces the default convention of {@code cached.wait}, or
	 * {@code null}
	 */
	public ObservationLoadObserver(ObservationRegistry registry,
			@Nullable CachedLoadObservationConvention loadConvention,
			@Nullable CachedWaitObservationConvention waitConvention) {
		this.registry = registry;
		this.loadConvention = loadConvention;
		this.waitConvention = waitConvention;
	}

	@Override
	public @Nullable Object loadStarted(String cacheName, Trigger trigger, @Nullable Object caller) {
		if (this.registry.isNoop()) {
			return null;
		}
		CachedLoadContext context = new CachedLoadContext(cacheName, trigger);
		Observation observation = CachedObservationDocumentation.LOAD.observation(this.loadConvention, DEFAULT_LOAD,
				() -> context, this.registry);
		if (caller instanceof Observation given) {
			// a wait's caller: the parent of its wait; else the observation of the caller's context
			ObservationView parent = (given.getContext() instanceof CachedWaitContext)
					? given.getContextView().getParentObservation() : given;
			if (parent instanceof Observation observed) {
				observation.parentObservation(observed);
			}
		}
		return observation.start();
	}

	@Override
	public Scope openScope(Object load) {
		Observation.Scope scope = ((Observation) load).openScope();
		return scope::close;
	}

	@Override
	public void loadEnded(Object load, @Nullable Throwable failure) {
		Observation observation = (Observation) load;
		((CachedLoadContext) observation.getContext()).setSuccess(failure == null);
		if (failure != null) {
			observation.error(failure);
		}
		observation.stop();
	}

	@Override
	public @Nullable Object waitStarted(String cacheName, Load running) {
		if (this.registry.isNoop()) {
			return null;
		}
		CachedWaitContext context = new CachedWaitContext(cacheName, running);
		return CachedObservationDocumentation.WAIT
			.observation(this.waitConvention, DEFAULT_WAIT, () -> context, this.registry)
			.start();
	}

	@Override
	public void waitEnded(Object wait, Outcome outcome, @Nullable Throwable failure) {
		Observation observation = (Observation) wait;
		if (!((CachedWaitContext) observation.getContext()).end(outcome)) {
			return;
		}
		if (failure != null) {
			observation.error(failure);
		}
		observation.stop();
	}

}
