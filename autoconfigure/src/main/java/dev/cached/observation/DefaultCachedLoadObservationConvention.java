package dev.cached.observation;

import dev.cached.observation.CachedObservationDocumentation.LoadKeyNames;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;

/**
 * The default {@link CachedLoadObservationConvention}: the name {@code cached.load}, the
 * contextual name {@code cached.load <cache>}, and the keys {@code cache},
 * {@code trigger} and {@code result} ({@code unknown} until the execution ends).
 */
public class DefaultCachedLoadObservationConvention implements CachedLoadObservationConvention {

	/** The observation's name. */
	public static final String NAME = "cached.load";

	private static final KeyValue RESULT_SUCCESS = KeyValue.of(LoadKeyNames.RESULT, "success");

	private static final KeyValue RESULT_FAILURE = KeyValue.of(LoadKeyNames.RESULT, "failure");

	private static final KeyValue RESULT_UNKNOWN = KeyValue.of(LoadKeyNames.RESULT, "unknown");

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(CachedLoadContext context) {
		return NAME + " " + context.getCacheName();
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(CachedLoadContext context) {
		return KeyValues.of(cache(context), trigger(context), result(context));
	}

	protected KeyValue cache(CachedLoadContext context) {
		return KeyValue.of(LoadKeyNames.CACHE, context.getCacheName());
	}

	protected KeyValue trigger(CachedLoadContext context) {
		return KeyValue.of(LoadKeyNames.TRIGGER, context.getTriggerName());
	}

	protected KeyValue result(CachedLoadContext context) {
		Boolean success = context.getSuccess();
		return (success == null) ? RESULT_UNKNOWN : success ? RESULT_SUCCESS : RESULT_FAILURE;
	}

}
