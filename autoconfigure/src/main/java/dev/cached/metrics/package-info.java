/**
 * Micrometer binders for {@code @Cached} caches: meters named and typed like Micrometer's
 * own cache binders, read from each cache's {@link dev.cached.engine.CacheStatistics}.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.metrics;

import org.jspecify.annotations.NullMarked;
