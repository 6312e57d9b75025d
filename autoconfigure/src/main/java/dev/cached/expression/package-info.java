/**
 * SpEL over a method call, for {@code key}, {@code condition} and {@code unless}: each
 * expression is parsed and checked once at startup, a plain parameter reference is read
 * straight from the arguments, and anything else is evaluated (compiled where SpEL can)
 * against a light per-call context.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.expression;

import org.jspecify.annotations.NullMarked;
