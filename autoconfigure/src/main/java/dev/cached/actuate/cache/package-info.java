/**
 * A Spring {@link org.springframework.cache.CacheManager} view over the {@code @Cached}
 * caches, so that Spring Boot's {@code caches} endpoint lists them.
 */
@NullMarked
package dev.cached.actuate.cache;

import org.jspecify.annotations.NullMarked;
