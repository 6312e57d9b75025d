/**
 * A stand-in for Kotlin's coroutine types, for tests only.
 */
@NullMarked
package kotlin.coroutines;

import org.jspecify.annotations.NullMarked;
