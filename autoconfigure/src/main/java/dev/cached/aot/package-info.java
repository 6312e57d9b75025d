/**
 * Ahead-of-time support: the reflection a native image needs for annotated methods.
 * Depends on nothing else of the starter.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.aot;

import org.jspecify.annotations.NullMarked;
