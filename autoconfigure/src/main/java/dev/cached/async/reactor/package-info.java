/**
 * The Reactor adapters for {@code Mono} and {@code Flux} results. Nothing outside this
 * package refers to a Reactor type: {@link dev.cached.async.AsyncResultAdapters} reaches
 * it only after it has found Reactor on the classpath.
 */
@NullMarked
package dev.cached.async.reactor;

import org.jspecify.annotations.NullMarked;
