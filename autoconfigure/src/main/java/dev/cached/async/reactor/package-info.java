/**
 * The Reactor adapters for {@code Mono} and {@code Flux} results. Nothing outside this
 * package refers to a Reactor type: {@link dev.cached.async.AsyncResultAdapters} reaches
 * it only after it has found Reactor on the classpath.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.async.reactor;

import org.jspecify.annotations.NullMarked;
