package dev.cached.testing;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/**
 * Awaitility with the settings every concurrency test of the project shares: no initial
 * delay, a short poll interval and an explicit, generous upper bound. Tests wait for an
 * observable condition through this class instead of sleeping.
 */
public final class Awaits {

	/** How long a test waits for a condition, or a latch, before it fails. */
	public static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static final Duration POLL_INTERVAL = Duration.ofMillis(2);

	private Awaits() {
	}

	/**
	 * Return a condition factory that polls every few milliseconds for at most
	 * {@link #TIMEOUT}.
	 * @return the condition factory
	 */
	public static ConditionFactory await() {
		return Awaitility.with()
			.pollDelay(Duration.ZERO)
			.pollInterval(POLL_INTERVAL)
			.atMost(TIMEOUT);
	}

}
