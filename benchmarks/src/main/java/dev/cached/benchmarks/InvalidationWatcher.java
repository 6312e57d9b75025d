package dev.cached.benchmarks;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;

/**
 * The dedicated thread of {@link ManyInstances}' propagation measurement: it busy-spins
 * ({@link Thread#onSpinWait()}) on B's and C's local stores ({@link CachedCache#peek})
 * until neither holds the probe's key, and records when each dropped it.
 */
final class InvalidationWatcher implements Runnable {

	private static final long TIMEOUT_SECONDS = 30;

	final BlockingQueue<Probe> probes = new SynchronousQueue<>();

	private final CachedCache b;

	private final CachedCache c;

	InvalidationWatcher(CachedCache b, CachedCache c) {
		this.b = b;
		this.c = c;
	}

	@Override
	public void run() {
		try {
			for (;;) {
				watch(this.probes.take());
			}
		}
		catch (InterruptedException ex) {
			// the measurement is over
		}
	}

	private void watch(Probe probe) {
		Object key = probe.key;
		if (this.b.peek(key) == null || this.c.peek(key) == null) {
			probe.failure = "B or C does not hold key " + key + " before the invalidation";
			probe.watching.countDown();
			probe.done.countDown();
			return;
		}
		probe.watching.countDown();
		long droppedB = 0;
		long droppedC = 0;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
		while (droppedB == 0 || droppedC == 0) {
			if (droppedB == 0 && this.b.peek(key) == null) {
				droppedB = System.nanoTime();
			}
			if (droppedC == 0 && this.c.peek(key) == null) {
				droppedC = System.nanoTime();
			}
			if (System.nanoTime() - deadline > 0) {
				probe.failure = "key " + key + " still held after " + TIMEOUT_SECONDS + " s (B dropped it: "
						+ (droppedB != 0) + ", C: " + (droppedC != 0) + ")";
				break;
			}
			Thread.onSpinWait();
		}
		probe.droppedB = droppedB;
		probe.droppedC = droppedC;
		probe.done.countDown();
	}

	/**
	 * One invalidation to watch: B's and C's drop times, taken by the watcher.
	 */
	static final class Probe {

		final Object key;

		final CountDownLatch watching = new CountDownLatch(1);

		final CountDownLatch done = new CountDownLatch(1);

		long droppedB;

		long droppedC;

		volatile @Nullable String failure;

		Probe(Object key) {
			this.key = key;
		}

	}

}
