/**
 * The annotations of cached: {@link dev.cached.Cached} and {@link dev.cached.CacheInvalidate}.
 */
@NullMarked
package dev.cached;

import org.jspecify.annotations.NullMarked;
