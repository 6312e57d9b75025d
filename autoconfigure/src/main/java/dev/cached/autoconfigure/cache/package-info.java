/**
 * Auto-configuration of the Spring {@code CacheManager} view over the {@code @Cached}
 * caches, for Spring Boot's {@code caches} endpoint.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.autoconfigure.cache;

import org.jspecify.annotations.NullMarked;
