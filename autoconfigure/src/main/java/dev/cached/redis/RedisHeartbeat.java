package dev.cached.redis;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.lettuce.core.ScriptOutputType;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * On a Redis Cluster, checks that the subscription still delivers, and has it made again
 * when it does not. A cluster's subscription is one connection to one node, and the
 * tier's commands go to other nodes: a node that stops answering without closing its
 * connections (frozen, cut off, its machine hung) silences the subscription while every
 * command still succeeds, so no outage would ever make it again. So, every
 * {@code min(retry-after, max-staleness / 2)} (at least twice the timeout), this instance
 * publishes a heartbeat on the channel ({@code h}, its id, a number: a message the other
 * instances, whatever their version, ignore) and looks for it on its own subscription; one
 * not received within twice {@code cached.redis.timeout} after Redis took it means the
 * subscription's node does not deliver, and the subscription is made again (which Lettuce
 * makes on another node if that one does not answer, and which invalidates every cache
 * locally, as any subscription made again does). A heartbeat Redis did not take (an
 * outage, a failover) proves nothing and is not waited for.
 * <p>
 * The heartbeat is published by a script with the channel's name as its key, so that it
 * goes to the node serving that slot (followed through failovers like any key), not to
 * the node of Lettuce's connection for keyless commands, which may be the silent one.
 * <p>
 * Threads: the checks run on the tier's subscriber thread; {@link #received} is called on
 * the listening thread; the publish completes on Lettuce's event loop.
 */
final class RedisHeartbeat {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	/** Publishes {@code ARGV[1]} on the channel {@code KEYS[1]} names (only routed by it). */
	private static final String PUBLISH = "return redis.call('publish', KEYS[1], ARGV[1])";

	private final RedisConnection connection;

	private final RedisTierSettings settings;

	private final String instanceId;

	/** Whether a subscription holds now. */
	private final BooleanSupplier subscribed;

	/** Makes the subscription again. */
	private final Runnable resubscribe;

	private final ScheduledExecutorService scheduler;

	/** How long a heartbeat Redis took may take to come back. */
	private final long graceNanos;

	/**
	 * The heartbeat published and not received yet, or 0: set by the subscriber thread
	 * before it publishes, cleared by its receipt (listening thread), by a publish that
	 * failed, or by the check that gives up on it.
	 */
	private final AtomicLong pending = new AtomicLong();

	/** When Redis took the pending heartbeat ({@link System#nanoTime()}), or 0 until it did. */
	private volatile long takenAt;

	/** The heartbeats' numbers: the subscriber thread's. */
	private long count;

	/** The checks' schedule: written by start and stop, under the tier's lock. */
	private @Nullable ScheduledFuture<?> checks;

	RedisHeartbeat(RedisConnection connection, RedisTierSettings settings, String instanceId,
			BooleanSupplier subscribed, Runnable resubscribe, ScheduledExecutorService scheduler) {
		this.connection = connection;
		this.settings = settings;
		this.instanceId = instanceId;
		this.subscribed = subscribed;
		this.resubscribe = resubscribe;
		this.scheduler = scheduler;
		this.graceNanos = 2 * settings.timeout().toNanos();
	}

	/** Start checking, every {@code min(retry-after, max-staleness / 2)}, at least twice the timeout. */
	void start() {
		long period = Math.max(this.graceNanos,
				Math.min(this.settings.retryAfter().toNanos(), this.settings.maxStaleness().toNanos() / 2));
		this.checks = this.scheduler.scheduleWithFixedDelay(this::check, period, period, TimeUnit.NANOSECONDS);
	}

	void stop() {
		ScheduledFuture<?> checks = this.checks;
		if (checks != null) {
			checks.cancel(false);
		}
		this.pending.set(0);
	}

	/**
	 * Tell whether a message is this instance's heartbeat, and take note of it.
	 * @param parts the message's lines
	 * @return whether it was a heartbeat (of any instance), which nothing else reads
	 */
	boolean received(String[] parts) {
		if (parts.length != 3 || !"h".equals(parts[0])) {
			return false;
		}
		if (this.instanceId.equals(parts[1])) {
			try {
				this.pending.compareAndSet(Long.parseLong(parts[2]), 0);
			}
			catch (NumberFormatException ex) {
				// not ours after all
			}
		}
		return true;
	}

	private void check() {
		if (!this.subscribed.getAsBoolean()) {
			// being made (again): its start is what tells
			this.pending.set(0);
			return;
		}
		long pending = this.pending.get();
		long taken = this.takenAt;
		if (pending != 0) {
			if (taken != 0 && System.nanoTime() - taken > this.graceNanos && this.pending.compareAndSet(pending, 0)) {
				logger.info("This instance's heartbeat did not come back on " + this.settings.channel() + " within "
						+ TimeUnit.NANOSECONDS.toMillis(this.graceNanos) + " ms: the node holding the subscription "
						+ "does not deliver; subscribing again");
				this.resubscribe.run();
			}
			return;
		}
		long number = ++this.count;
		this.takenAt = 0;
		this.pending.set(number);
		byte[] channel = RedisConnection.bytes(this.settings.channel());
		byte[] message = RedisConnection.bytes("h\n" + this.instanceId + "\n" + number);
		this.connection.callAsync(null, "heartbeat",
				(c) -> c.<Long>eval(PUBLISH, ScriptOutputType.INTEGER, new byte[][] { channel }, message))
			.whenComplete((receivers, ex) -> {
				if (ex != null) {
					this.pending.compareAndSet(number, 0);
				}
				else {
					this.takenAt = System.nanoTime();
				}
			});
	}

}
