/**
 * Auto-configuration of Micrometer meters for {@code @Cached} caches.
 */
@NullMarked
package dev.cached.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
