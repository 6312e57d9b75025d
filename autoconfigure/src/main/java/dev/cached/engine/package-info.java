/**
 * The engine: the single-flight registry ({@link dev.cached.engine.SingleFlight}), one
 * cache as a Caffeine store plus single flight plus statistics
 * ({@link dev.cached.engine.CachedCache}), settings resolved with their sources, and the
 * registry of caches by name. No Spring Boot imports: everything here can be built with
 * {@code new}.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.engine;

import org.jspecify.annotations.NullMarked;
