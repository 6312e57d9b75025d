/**
 * The sample application: a rules service whose {@code getAllRules()} loads 53 rule files,
 * cached with {@code @Cached}, and a demo that races it against a naive cache.
 */
@NullMarked
package dev.cached.sample;

import org.jspecify.annotations.NullMarked;
