/**
 * Cache keys: the {@link dev.cached.key.CacheKey} value type and the
 * {@link dev.cached.key.KeyGenerator} each {@code @Cached} method gets, parsed once at
 * startup.
 */
@NullMarked
package dev.cached.key;

import org.jspecify.annotations.NullMarked;
