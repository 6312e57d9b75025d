/**
 * A Spring {@link org.springframework.cache.CacheManager} view over the {@code @Cached}
 * caches, so that Spring Boot's {@code caches} endpoint lists them.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.actuate.cache;

import org.jspecify.annotations.NullMarked;
