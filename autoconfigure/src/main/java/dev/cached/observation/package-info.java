/**
 * Micrometer Observation of {@code @Cached} caches: a {@code cached.load} observation per
 * execution of a method and a {@code cached.wait} observation per caller that joined a
 * running load (see {@link dev.cached.observation.CachedObservationDocumentation}), made
 * by {@link dev.cached.observation.ObservationLoadObserver}; names and keys come from
 * replaceable conventions. With Micrometer Tracing,
 * {@link dev.cached.observation.CachedWaitTracingObservationHandler} links each wait span
 * to the span of the load it waited for.
 * <p>
 * The contexts, the conventions and the documentation are the public part of this
 * package; the rest may change in any release.
 */
@NullMarked
package dev.cached.observation;

import org.jspecify.annotations.NullMarked;
