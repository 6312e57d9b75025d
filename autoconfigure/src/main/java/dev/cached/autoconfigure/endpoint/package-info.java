/**
 * Auto-configuration of the {@code cached} actuator endpoint.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.autoconfigure.endpoint;

import org.jspecify.annotations.NullMarked;
