/**
 * Auto-configuration of Micrometer meters for {@code @Cached} caches.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
