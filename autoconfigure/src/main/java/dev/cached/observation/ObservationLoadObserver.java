package dev.cached.observation;

import dev.cached.engine.Load;
import dev.cached.engine.LoadObserver;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.ObservationView;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
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
 * caller's parent. Handles are {@link Observation}s. A handler that throws never fails
 * the cached call: the failure is logged once, and the call goes on.
 */
public final class ObservationLoadObserver implements LoadObserver {

	private static final CachedLoadObservationConvention DEFAULT_LOAD = new DefaultCachedLoadObservationConvention();

	private static final CachedWaitObservationConvention DEFAULT_WAIT = new DefaultCachedWaitObservationConvention();

	private static final Log logger = LogFactory.getLog(ObservationLoadObserver.class);

	private final ObservationRegistry registry;

	/** Whether a handler's failure was logged; racy on purpose (at worst logged twice). */
	private volatile boolean failureLogged;

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
		try {
			return startLoad(cacheName, trigger, caller);
		}
		catch (RuntimeException ex) {
			failed(ex);
			return null;
		}
	}

	private Observation startLoad(String cacheName, Trigger trigger, @Nullable Object caller) {
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
		try {
			if (failure != null) {
				observation.error(failure);
			}
			observation.stop();
		}
		catch (RuntimeException ex) {
			failed(ex);
		}
	}

	@Override
	public @Nullable Object waitStarted(String cacheName, Load running) {
		if (this.registry.isNoop()) {
			return null;
		}
		CachedWaitContext context = new CachedWaitContext(cacheName, running);
		try {
			return CachedObservationDocumentation.WAIT
				.observation(this.waitConvention, DEFAULT_WAIT, () -> context, this.registry)
				.start();
		}
		catch (RuntimeException ex) {
			failed(ex);
			return null;
		}
	}

	@Override
	public void waitEnded(Object wait, Outcome outcome, @Nullable Throwable failure) {
		Observation observation = (Observation) wait;
		if (!((CachedWaitContext) observation.getContext()).end(outcome)) {
			return;
		}
		try {
			if (failure != null) {
				observation.error(failure);
			}
			observation.stop();
		}
		catch (RuntimeException ex) {
			failed(ex);
		}
	}

	/** An observation handler failed: the cached call goes on, the first failure is logged. */
	private void failed(RuntimeException ex) {
		if (this.failureLogged) {
			return;
		}
		this.failureLogged = true;
		logger.warn("An observation of a cache failed; the call goes on unobserved where needed", ex);
	}

}
