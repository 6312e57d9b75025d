package dev.cached.observation;

import dev.cached.observation.CachedObservationDocumentation.WaitKeyNames;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;

/**
 * The default {@link CachedWaitObservationConvention}: the name {@code cached.wait}, the
 * contextual name {@code cached.wait <cache>}, and the keys {@code cache} and
 * {@code outcome} ({@code unknown} until the wait ends).
 */
public class DefaultCachedWaitObservationConvention implements CachedWaitObservationConvention {

	/** The observation's name. */
	public static final String NAME = "cached.wait";

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(CachedWaitContext context) {
		return NAME + " " + context.getCacheName();
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(CachedWaitContext context) {
		return KeyValues.of(cache(context), outcome(context));
	}

	protected KeyValue cache(CachedWaitContext context) {
		return KeyValue.of(WaitKeyNames.CACHE, context.getCacheName());
	}

	protected KeyValue outcome(CachedWaitContext context) {
		return KeyValue.of(WaitKeyNames.OUTCOME, context.getOutcomeName());
	}

}
