package dev.cached.transaction;

import dev.cached.engine.WriteRepeater;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Repeats a cache write made inside a Spring transaction when the transaction completes:
 * on commit the write runs again ({@link TransactionSynchronization#afterCommit()}), so
 * that a value a concurrent reader loaded from the old committed data between the write
 * and the commit is gone afterwards; on rollback the invalidation runs again, or the
 * value put is removed, so that nothing the transaction's own thread loaded from its
 * uncommitted data stays.
 * <p>
 * Without an active transaction synchronization (no transaction, or no transaction
 * manager) the write has already taken effect once, at once, and nothing more happens.
 * Only thread-bound transactions are seen (a {@code PlatformTransactionManager});
 * reactive transactions are not.
 */
public final class TransactionAwareWriteRepeater implements WriteRepeater {

	@Override
	public void repeat(Runnable onCommit, Runnable onRollback) {
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new RepeatedWrite(onCommit, onRollback));
		}
	}

	private static final class RepeatedWrite implements TransactionSynchronization {

		private final Runnable onCommit;

		private final Runnable onRollback;

		RepeatedWrite(Runnable onCommit, Runnable onRollback) {
			this.onCommit = onCommit;
			this.onRollback = onRollback;
		}

		@Override
		public void afterCommit() {
			this.onCommit.run();
		}

		@Override
		public void afterCompletion(int status) {
			if (status != STATUS_COMMITTED) {
				this.onRollback.run();
			}
		}

	}

}
