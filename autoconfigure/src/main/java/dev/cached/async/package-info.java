/**
 * Asynchronous results: adapters that let a {@code @Cached} method return a
 * {@link java.util.concurrent.CompletableFuture}, a
 * {@link java.util.concurrent.CompletionStage} or, with Project Reactor on the classpath,
 * a {@code Mono} or {@code Flux}, and let a Kotlin {@code suspend} function be cached
 * (with kotlinx-coroutines-reactor and kotlin-reflect, which Spring's proxies call it
 * through). Each adapter turns the method's result into the stage
 * of its eventual value for the engine
 * ({@link dev.cached.engine.AsyncLoader}), and the caller's own future from
 * the engine back into the method's return type. The Reactor adapters live in
 * {@code dev.cached.async.reactor} and are only loaded when Reactor is present.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.async;

import org.jspecify.annotations.NullMarked;
