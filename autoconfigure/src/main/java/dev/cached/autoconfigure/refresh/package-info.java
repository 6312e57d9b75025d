/**
 * Auto-configuration of refresh-ahead: the executor that runs background reloads.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.autoconfigure.refresh;

import org.jspecify.annotations.NullMarked;
