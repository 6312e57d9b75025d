/**
 * Auto-configuration of the observations of {@code @Cached} caches.
 */
@NullMarked
package dev.cached.autoconfigure.observation;

import org.jspecify.annotations.NullMarked;
