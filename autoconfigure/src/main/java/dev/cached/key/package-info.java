/**
 * Cache keys: the {@link dev.cached.key.CacheKey} value type and the
 * {@link dev.cached.key.KeyGenerator} each {@code @Cached} method gets, parsed once at
 * startup.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.key;

import org.jspecify.annotations.NullMarked;
