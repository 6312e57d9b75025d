package dev.cached.redis;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The writes of this instance (invalidations, clears, puts) that Redis did not take yet,
 * in the order they were made, and the one thread that sends them: nothing this instance
 * writes is dropped because Redis was unreachable, late, in an outage or not connected yet.
 * <p>
 * <b>What callers observe.</b> {@link #send} sends a write on the calling thread when
 * nothing is kept (the usual case: the caller returns once Redis took it); otherwise, or
 * when that attempt fails, the write is kept, and the outbox's thread sends it after the
 * writes kept before it, as soon as Redis answers. While a write of a cache is kept
 * ({@link #holds}), this instance reads none of that cache's entries from Redis (it
 * could read back the value it invalidated): its loads of that cache go local until the
 * write was sent. Past {@code cached.redis.max-pending} kept writes, the kept writes of
 * each cache collapse into one clear of that cache (which deletes its entries in Redis
 * and tells every instance to clear it).
 * <p>
 * <b>Outages.</b> The outbox's thread is the {@link RedisBreaker#prober() prober}: during
 * an outage it alone reaches Redis, every {@code retry-after}. Once Redis answers, it
 * sends every kept write, waits for the subscription to hold (made again after a lost
 * connection), and only then {@link RedisBreaker#end() ends the outage}, which clears the
 * local stores once: no instance reads Redis again before what it wrote meanwhile is
 * there, and no message of the other instances sent before the clear is missed. On a
 * Redis Cluster the probe asks every primary that serves slots: an outage there is often
 * one shard's, and ends only once that shard answers again.
 * <p>
 * Implementation notes: one lock (this object's) guards the queue and the counts per
 * cache; a write is sent without it. The thread peeks the head, sends it, and removes
 * that very write afterwards (a collapse may have replaced it meanwhile: then the clear
 * that replaced it is sent too, which is harmless). A write sent twice (it timed out
 * but Redis ran it later) is harmless too: each is idempotent, and they are sent in
 * order on one connection. Writes kept when the application stops are not sent.
 */
final class RedisOutbox {

	private static final Log logger = LogFactory.getLog(RedisTier.class);

	/** How often the prober looks for the subscription after Redis answered, at most. */
	private static final long SUBSCRIPTION_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	/** What the prober sends when nothing is kept. */
	private static final String PROBE = "return 1";

	/** One write to Redis; it throws when Redis did not take it. */
	@FunctionalInterface
	interface Write {

		/**
		 * Send the write and wait for Redis to take it.
		 * @throws Unavailable if Redis did not take it
		 */
		void send() throws Unavailable;

	}

	/** A kept write: its cache, itself, and the clear it collapses into. Equal only to itself. */
	private static final class Pending {

		final String cache;

		final Write write;

		final Write clear;

		Pending(String cache, Write write, Write clear) {
			this.cache = cache;
			this.write = write;
			this.clear = clear;
		}

	}

	private final RedisConnection connection;

	private final RedisBreaker breaker;

	/** Whether the subscription holds (made again after a lost connection). */
	private final BooleanSupplier subscribed;

	/** Makes the subscription again; asked once per outage that lost the connection. */
	private final Runnable resubscribe;

	/** {@code cached.redis.max-pending}. */
	private final int maxPending;

	private final long retryAfterNanos;

	private final long timeoutNanos;

	/** The kept writes, oldest first: guarded by this object's lock. */
	private final ArrayDeque<Pending> queue = new ArrayDeque<>();

	/** How many kept writes each cache has: written under the lock, read by anyone. */
	private final Map<String, Integer> pendingByCache = new ConcurrentHashMap<>();

	/** Makes the sending thread, anew at each start. */
	private final ThreadFactory threads;

	/**
	 * The sending thread: made and started by {@link #start()}, interrupted by
	 * {@link #stop()}; a thread that is no longer this one ends.
	 */
	private volatile @Nullable Thread thread;

	/** How many writes are kept: written under the lock, read by anyone. */
	private volatile int size;

	/** Whether the thread goes on: written by start and stop, read by the thread. */
	private volatile boolean running;

	/** Whether a collapse was logged since the outbox was last empty: guarded by the lock. */
	private boolean collapseLogged;

	/** Whether the subscription was asked to be made again in this outage: the thread's. */
	private boolean resubscribeAsked;

	/**
	 * Create the outbox of a tier; nothing is sent from the outbox until {@link #start()}.
	 * @param settings the tier's settings
	 * @param connection the tier's connection
	 * @param breaker the tier's breaker, whose prober the outbox's thread becomes
	 * @param subscribed whether the subscription holds
	 * @param resubscribe makes the subscription again
	 * @param threads makes the outbox's thread
	 */
	RedisOutbox(RedisTierSettings settings, RedisConnection connection, RedisBreaker breaker,
			BooleanSupplier subscribed, Runnable resubscribe, ThreadFactory threads) {
		this.connection = connection;
		this.breaker = breaker;
		this.subscribed = subscribed;
		this.resubscribe = resubscribe;
		this.maxPending = settings.maxPending();
		this.retryAfterNanos = settings.retryAfter().toNanos();
		this.timeoutNanos = settings.timeout().toNanos();
		this.threads = threads;
	}

	/** Start the sending thread; called by the tier's start, under its lock. */
	void start() {
		this.running = true;
		Thread thread = this.threads.newThread(this::run);
		this.thread = thread;
		this.breaker.prober(thread);
		thread.start();
	}

	/** Stop the sending thread; writes still kept are not sent until the next start. */
	void stop() {
		this.running = false;
		Thread thread = this.thread;
		this.thread = null;
		if (thread != null) {
			thread.interrupt();
		}
	}

	/**
	 * Send a write of {@code cache} now on the calling thread if nothing is kept, else (or
	 * if Redis does not take it) keep it, to be sent in order.
	 * @param cache the cache's name
	 * @param write the write
	 * @param clear a clear of the cache, what the write collapses into past the bound
	 */
	void send(String cache, Write write, Write clear) {
		if (this.size == 0) {
			try {
				write.send();
				return;
			}
			catch (Unavailable ex) {
				// kept below
			}
		}
		keep(new Pending(cache, write, clear));
	}

	/**
	 * Whether a write of {@code cache} is kept: its entries must not be read from Redis.
	 * @param cache the cache's name
	 * @return whether one is kept
	 */
	boolean holds(String cache) {
		return this.size != 0 && this.pendingByCache.containsKey(cache);
	}

	/**
	 * Return how many writes are kept.
	 * @return the number, for the status
	 */
	int size() {
		return this.size;
	}

	private synchronized void keep(Pending pending) {
		if (this.queue.size() >= this.maxPending) {
			collapse();
		}
		this.queue.addLast(pending);
		this.pendingByCache.merge(pending.cache, 1, Integer::sum);
		this.size = this.queue.size();
		notifyAll();
	}

	/** Past the bound: the kept writes of each cache become one clear of it, in order of their first. */
	private void collapse() {
		Map<String, Pending> clears = new LinkedHashMap<>();
		for (Pending pending : this.queue) {
			clears.computeIfAbsent(pending.cache, (name) -> new Pending(name, pending.clear, pending.clear));
		}
		if (!this.collapseLogged) {
			this.collapseLogged = true;
			logger.warn("More than " + this.maxPending + " writes to Redis are kept (cached.redis.max-pending): they "
					+ "become a clear of each cache they were for: " + clears.keySet()
					+ "; logged once until they are sent");
		}
		this.queue.clear();
		this.queue.addAll(clears.values());
		this.pendingByCache.clear();
		for (String cache : clears.keySet()) {
			this.pendingByCache.put(cache, 1);
		}
	}

	private synchronized @Nullable Pending head() {
		return this.queue.peekFirst();
	}

	private synchronized void sent(Pending pending) {
		if (this.queue.remove(pending)) {
			this.pendingByCache.computeIfPresent(pending.cache, (name, count) -> (count > 1) ? count - 1 : null);
			this.size = this.queue.size();
			if (this.size == 0) {
				this.collapseLogged = false;
			}
		}
	}

	/**
	 * Return the oldest kept write; if none, wait until one is kept, or, should an outage
	 * have begun meanwhile, until its first probe is due (after retry-after).
	 */
	private synchronized @Nullable Pending headOrWait() throws InterruptedException {
		if (this.queue.isEmpty()) {
			TimeUnit.NANOSECONDS.timedWait(this, this.retryAfterNanos);
		}
		return this.queue.peekFirst();
	}

	/** Wait at most {@code nanos}, or until a write is kept. */
	private synchronized void await(long nanos) throws InterruptedException {
		if (nanos > 0) {
			TimeUnit.NANOSECONDS.timedWait(this, nanos);
		}
	}

	// the thread

	private void run() {
		while (this.running && this.thread == Thread.currentThread()) {
			try {
				if (this.breaker.isUp()) {
					sendKept();
				}
				else {
					probe();
				}
			}
			catch (InterruptedException ex) {
				return;
			}
			catch (RuntimeException ex) {
				logger.debug("Sending the writes kept for Redis failed", ex);
				try {
					await(this.retryAfterNanos);
				}
				catch (InterruptedException interrupted) {
					return;
				}
			}
		}
	}

	/** Redis is up: send the oldest kept write, or wait for one. */
	private void sendKept() throws InterruptedException {
		Pending head = headOrWait();
		if (head == null) {
			return;
		}
		try {
			head.write.send();
			sent(head);
		}
		catch (Unavailable ex) {
			// a late answer, or the connection not open yet: try again shortly (faults in a
			// row begin an outage, and then probe() takes over)
			await(this.timeoutNanos);
		}
	}

	/**
	 * Send the probe: on a Redis Cluster to every primary that serves slots, as Lettuce
	 * knows the cluster now, since an outage there is often one shard's (a primary failed,
	 * frozen, or failing over): one that answers proves nothing about the others.
	 */
	private static CompletionStage<?> probe(RedisClusterAsyncCommands<byte[], byte[]> commands) {
		if (commands instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> cluster) {
			return cluster.nodes((node) -> node.is(NodeFlag.UPSTREAM) && !node.getSlots().isEmpty())
				.commands()
				.eval(PROBE, ScriptOutputType.INTEGER);
		}
		return commands.eval(PROBE, ScriptOutputType.INTEGER);
	}

	/**
	 * During an outage: every {@code retry-after}, try Redis; once it answers, send every
	 * kept write, see that the subscription holds, then end the outage. On Sentinel, a
	 * probe that fails on an open connection makes the connection and the subscription
	 * again, to the primary the sentinels name now.
	 */
	private void probe() throws InterruptedException {
		long quiet = this.breaker.quietNanosLeft();
		if (quiet > 0) {
			await(quiet);
			return;
		}
		try {
			for (Pending head = head(); head != null; head = head()) {
				head.write.send();
				sent(head);
			}
			// a script, as the tier's commands are: a Redis that holds writes (CLIENT PAUSE WRITE,
			// a replica) answers a PING, not them
			this.connection.call(null, "probe", RedisOutbox::probe);
		}
		catch (Unavailable ex) {
			if (this.connection.reconnect()) {
				// on Sentinel, a primary that stopped answering may have been replaced: both the
				// connection and the subscription go to the one the sentinels name now
				this.resubscribeAsked = true;
				this.resubscribe.run();
			}
			if (this.breaker.quietNanosLeft() <= 0) {
				await(this.retryAfterNanos);
			}
			return;
		}
		if (this.breaker.connectionLost() || !this.subscribed.getAsBoolean()) {
			// the subscription may have missed messages: it must be made again before the clear
			if (this.breaker.connectionLost() && !this.resubscribeAsked) {
				this.resubscribeAsked = true;
				this.resubscribe.run();
			}
			await(Math.min(this.retryAfterNanos, SUBSCRIPTION_CHECK_NANOS));
			return;
		}
		if (head() != null) {
			// kept meanwhile: send it first
			return;
		}
		this.resubscribeAsked = false;
		this.breaker.end();
	}

}
