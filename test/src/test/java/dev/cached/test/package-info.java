/**
 * Tests of the test support, as real Spring tests.
 */
@NullMarked
package dev.cached.test;

import org.jspecify.annotations.NullMarked;
