/**
 * Transaction-aware writes: {@link dev.cached.transaction.TransactionAwareWriteRepeater}
 * repeats an invalidation or a put made inside a Spring transaction when that transaction
 * completes. Internal: not part of the stable API.
 */
@NullMarked
package dev.cached.transaction;

import org.jspecify.annotations.NullMarked;
