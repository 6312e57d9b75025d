/**
 * Micrometer binders for {@code @Cached} caches: meters named and typed like Micrometer's
 * own cache binders, read from each cache's {@link dev.cached.engine.CacheStatistics}.
 */
@NullMarked
package dev.cached.metrics;

import org.jspecify.annotations.NullMarked;
