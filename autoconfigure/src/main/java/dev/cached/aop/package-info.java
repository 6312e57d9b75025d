/**
 * The AOP adapter: per-method metadata ({@link dev.cached.aop.CachedOperation},
 * {@link dev.cached.aop.CacheInvalidateOperation}) read from the annotations by
 * {@link dev.cached.aop.CachedOperationParser} and kept by
 * {@link dev.cached.aop.CachedOperationSource}, the rules each method must follow
 * ({@link dev.cached.aop.CachedAnnotationValidator}), the startup scan that validates every
 * annotated method ({@link dev.cached.aop.CachedMethodValidator}), and the thin advice
 * that sends calls into the engine ({@link dev.cached.aop.CachedInterceptor}).
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.aop;

import org.jspecify.annotations.NullMarked;
