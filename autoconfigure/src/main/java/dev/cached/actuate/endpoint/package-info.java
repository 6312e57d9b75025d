/**
 * The {@code cached} actuator endpoint: every {@code @Cached} cache with its effective
 * settings, their sources, its methods and its statistics.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.actuate.endpoint;

import org.jspecify.annotations.NullMarked;
