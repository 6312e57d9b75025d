/**
 * The stable API of cached: the annotations {@link dev.cached.Cached},
 * {@link dev.cached.CachePut} and {@link dev.cached.CacheInvalidate}, and the programmatic
 * {@link dev.cached.CachedCaches}.
 * Together with the {@code cached.*} configuration properties, the actuator endpoint's
 * JSON and the meters, this is what a release keeps compatible; every other package is
 * internal.
 */
@NullMarked
package dev.cached;

import org.jspecify.annotations.NullMarked;
