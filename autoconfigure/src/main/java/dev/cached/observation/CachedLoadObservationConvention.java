package dev.cached.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The names and keys of {@code cached.load} observations. A bean of this type replaces
 * {@link DefaultCachedLoadObservationConvention} (extend it to add keys).
 */
public interface CachedLoadObservationConvention extends ObservationConvention<CachedLoadContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof CachedLoadContext;
	}

}
