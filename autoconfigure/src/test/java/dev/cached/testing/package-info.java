/**
 * Test helpers shared by the project's tests.
 */
@NullMarked
package dev.cached.testing;

import org.jspecify.annotations.NullMarked;
