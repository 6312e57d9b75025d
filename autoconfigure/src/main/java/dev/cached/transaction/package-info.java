/**
 * Transaction-aware writes: {@link dev.cached.transaction.TransactionAwareWriteRepeater}
 * repeats an invalidation or a put made inside a Spring transaction when that transaction
 * completes.
 * <p>
 * Internal: not part of the stable API, and may change in any release. Program against
 * the annotations and {@link dev.cached.CachedCaches} in {@code dev.cached}, and the
 * {@code cached.*} properties.
 */
@NullMarked
package dev.cached.transaction;

import org.jspecify.annotations.NullMarked;
