/**
 * Refresh-ahead for {@code @Cached} caches ({@code refresh-after},
 * {@code early-refresh-beta}): when a read starts a background reload, on which executor
 * it runs, and how failed reloads are logged. The engine calls it through
 * {@link dev.cached.engine.Refresher}; the single flight of reloads stays in the engine.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.refresh;

import org.jspecify.annotations.NullMarked;
