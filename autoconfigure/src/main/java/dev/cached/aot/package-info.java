/**
 * Ahead-of-time support: the reflection a native image needs for annotated methods.
 * Depends on nothing else of the starter.
 */
@NullMarked
package dev.cached.aot;

import org.jspecify.annotations.NullMarked;
