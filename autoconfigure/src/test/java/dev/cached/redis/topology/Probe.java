package dev.cached.redis.topology;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.awaitility.core.ConditionTimeoutException;

import dev.cached.testing.Awaits;

/**
 * Calls an operation again and again on a thread of its own, paced, and records when it
 * succeeded and when it failed: what a fault costs the callers of a client, and when they
 * are served again. The pace is a load's, not a wait for anything: the tests wait for
 * conditions with Awaitility.
 */
final class Probe implements AutoCloseable {

	private final Thread thread;

	private final AtomicLong successes = new AtomicLong();

	private final AtomicLong failures = new AtomicLong();

	private final AtomicLong lastSuccess = new AtomicLong(Long.MIN_VALUE);

	private final AtomicLong lastFailure = new AtomicLong(Long.MIN_VALUE);

	private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

	private volatile boolean running = true;

	private volatile String lastError = "none";

	/**
	 * Start calling an operation every {@code every}, until closed (and at most for a
	 * minute).
	 * @param name the thread's name
	 * @param operation throws if the call failed
	 * @param every the pace
	 */
	Probe(String name, Runnable operation, Duration every) {
		long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
		this.thread = new Thread(() -> {
			while (this.running && System.nanoTime() - end < 0) {
				try {
					operation.run();
					this.successes.incrementAndGet();
					this.lastSuccess.set(System.nanoTime());
				}
				catch (RuntimeException ex) {
					this.failures.incrementAndGet();
					this.lastFailure.set(System.nanoTime());
					this.lastError = ex.getClass().getSimpleName() + ": " + ex.getMessage();
					if (this.errors.size() < 5) {
						this.errors.add(ex.getClass().getSimpleName() + ": " + ex.getMessage());
					}
				}
				LockSupport.parkNanos(every.toNanos());
			}
		}, name);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	long successes() {
		return this.successes.get();
	}

	long failures() {
		return this.failures.get();
	}

	/** Whether a call that began after {@code nanos} succeeded, with no failure after it. */
	boolean servedSince(long nanos) {
		long success = this.lastSuccess.get();
		long failure = this.lastFailure.get();
		return success != Long.MIN_VALUE && success - nanos > 0
				&& (failure == Long.MIN_VALUE || success - failure > 0);
	}

	/**
	 * Wait until a call that began after {@code nanos} succeeded, with no failure after it.
	 * @throws AssertionError if not within {@code atMost}, with the first errors
	 */
	void awaitServedSince(long nanos, Duration atMost) {
		try {
			Awaits.await().atMost(atMost).until(() -> servedSince(nanos));
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("Not served again within " + atMost.toMillis() + " ms: " + failures()
					+ " calls failed, the first with: " + errors() + "; the last: " + this.lastError, ex);
		}
	}

	/**
	 * How long the calls failed after a fault at {@code faultNanos}: from the fault to the
	 * last failure, zero if none failed.
	 */
	Duration failingFor(long faultNanos) {
		long failure = this.lastFailure.get();
		return (failure == Long.MIN_VALUE || failure - faultNanos < 0) ? Duration.ZERO
				: Duration.ofNanos(failure - faultNanos);
	}

	String errors() {
		return String.join("; ", this.errors);
	}

	@Override
	public void close() {
		this.running = false;
		try {
			this.thread.join(Duration.ofSeconds(10).toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
