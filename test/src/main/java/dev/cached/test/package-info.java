/**
 * Test support for applications that use {@code @Cached}: {@link ClearCachedCaches}
 * starts every test method of a Spring test from empty caches.
 */
@NullMarked
package dev.cached.test;

import org.jspecify.annotations.NullMarked;
