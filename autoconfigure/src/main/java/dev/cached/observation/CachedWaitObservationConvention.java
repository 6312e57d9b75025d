package dev.cached.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The names and keys of {@code cached.wait} observations. A bean of this type replaces
 * {@link DefaultCachedWaitObservationConvention} (extend it to add keys).
 */
public interface CachedWaitObservationConvention extends ObservationConvention<CachedWaitContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof CachedWaitContext;
	}

}
