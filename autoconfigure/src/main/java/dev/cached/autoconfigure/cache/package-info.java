/**
 * Auto-configuration of the Spring {@code CacheManager} view over the {@code @Cached}
 * caches, for Spring Boot's {@code caches} endpoint.
 */
@NullMarked
package dev.cached.autoconfigure.cache;

import org.jspecify.annotations.NullMarked;
