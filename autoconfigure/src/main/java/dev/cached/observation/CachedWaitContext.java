package dev.cached.observation;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

import dev.cached.engine.Load;
import dev.cached.engine.LoadObserver;
import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * The context of a {@code cached.wait} observation: one caller that joined a running
 * load, and the {@code cached.load} observation of that load.
 */
public class CachedWaitContext extends Observation.Context {

	private final String cacheName;

	private final Load load;

	/** Set once, by whichever end of the wait comes first. */
	private final AtomicReference<LoadObserver.@Nullable Outcome> outcome = new AtomicReference<>();

	/**
	 * Create a context.
	 * @param cacheName the cache
	 * @param load the load the caller waits for
	 */
	public CachedWaitContext(String cacheName, Load load) {
		this.cacheName = cacheName;
		this.load = load;
	}

	/**
	 * Return the cache name.
	 * @return the cache name
	 */
	public String getCacheName() {
		return this.cacheName;
	}

	/**
	 * Return how the wait ended.
	 * @return the outcome, or {@code null} while the caller waits
	 */
	public LoadObserver.@Nullable Outcome getOutcome() {
		return this.outcome.get();
	}

	/**
	 * Return the outcome as the {@code outcome} key writes it: {@code value},
	 * {@code failure}, {@code timeout}, {@code interrupted} or {@code cancelled}.
	 * @return the outcome's name, or {@code unknown} while the caller waits
	 */
	public String getOutcomeName() {
		LoadObserver.Outcome outcome = this.outcome.get();
		return (outcome != null) ? outcome.name().toLowerCase(Locale.ROOT) : "unknown";
	}

	/**
	 * Return the context of the {@code cached.load} observation of the load this caller
	 * waits for. It may be {@code null} at the start of the wait (the load's owner starts
	 * its observation just after it registered the load), and is set by the time the wait
	 * ends, unless the load was not observed (its owner found the value stored after all).
	 * @return the load's context, or {@code null}
	 */
	public @Nullable CachedLoadContext getLoadContext() {
		return (this.load.observation() instanceof Observation observation
				&& observation.getContext() instanceof CachedLoadContext context) ? context : null;
	}

	boolean end(LoadObserver.Outcome outcome) {
		return this.outcome.compareAndSet(null, outcome);
	}

}
