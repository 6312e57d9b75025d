package dev.cached.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.ScriptOutputType;
import org.jspecify.annotations.Nullable;

/**
 * The leases this instance holds, renewed while their loads run: a lease
 * ({@code <prefix>{<cid>.<b>}:<g>:lease:<key>}, see {@link RedisKeyLayout}) lives
 * {@code cached.redis.lease-time} unless renewed, so that another instance takes over a
 * key soon after its loader died, and is
 * renewed every third of that time for as long as this instance's load runs.
 * <p>
 * The per-cache operations ({@link RedisRemoteCache}) {@link #hold} a lease they took and
 * {@link #drop} it before they write or release it, on the application's threads. The
 * renewal runs on the tier's {@code cached-redis} thread, one blocking
 * {@link RedisConnection#call} per lease; a lease its holder no longer owns in Redis (the
 * key was invalidated meanwhile) is no longer renewed, and the load's write will be
 * refused. During an outage a renewal stops at its first failed call.
 */
final class RedisLeases {

	private final RedisConnection connection;

	private final RedisTierSettings settings;

	/** Runs the renewal; the tier's. */
	private final ScheduledExecutorService scheduler;

	/**
	 * The leases held, token by lease key: put by {@link #hold}, removed by {@link #drop} or
	 * by the renewal that finds one lost; read by the renewal.
	 */
	private final Map<String, byte[]> leases = new ConcurrentHashMap<>();

	/** The renewal's schedule: written and read by start and stop, under the tier's lock. */
	private @Nullable ScheduledFuture<?> renewal;

	/**
	 * Create the leases of a tier; none is renewed until {@link #start()}.
	 * @param connection the tier's connection
	 * @param settings the tier's settings
	 * @param scheduler the thread that renews the leases
	 */
	RedisLeases(RedisConnection connection, RedisTierSettings settings, ScheduledExecutorService scheduler) {
		this.connection = connection;
		this.settings = settings;
		this.scheduler = scheduler;
	}

	/**
	 * Renew the leases held, every third of the lease time, until {@link #stop()}.
	 */
	void start() {
		long renewEvery = Math.max(1, this.settings.leaseTime().toMillis() / 3);
		this.renewal = this.scheduler.scheduleWithFixedDelay(this::renew, renewEvery, renewEvery,
				TimeUnit.MILLISECONDS);
	}

	/**
	 * Stop renewing.
	 */
	void stop() {
		ScheduledFuture<?> renewal = this.renewal;
		if (renewal != null) {
			renewal.cancel(false);
		}
	}

	/**
	 * Renew a lease this instance took, until it is {@link #drop dropped}.
	 * @param leaseKey the lease's Redis name
	 * @param token the token the lease holds
	 */
	void hold(String leaseKey, byte[] token) {
		this.leases.put(leaseKey, token);
	}

	/**
	 * Stop renewing a lease: its load is done.
	 * @param leaseKey the lease's Redis name
	 */
	void drop(String leaseKey) {
		this.leases.remove(leaseKey);
	}

	private void renew() {
		long millis = this.settings.leaseTime().toMillis();
		for (Map.Entry<String, byte[]> lease : this.leases.entrySet()) {
			try {
				Long renewed = this.connection.call(null, "renew a lease",
						(c) -> Scripts.RENEW.run(c, ScriptOutputType.INTEGER,
								new byte[][] { RedisConnection.bytes(lease.getKey()) }, lease.getValue(),
								RedisConnection.bytes(Long.toString(millis))));
				if (renewed == null || renewed == 0) {
					// invalidated meanwhile: the load's write will be refused
					this.leases.remove(lease.getKey(), lease.getValue());
				}
			}
			catch (Unavailable ex) {
				return;
			}
		}
	}

	private static final byte[] HEX = RedisConnection.bytes("0123456789abcdef");

	/** A lease's token: 128 random bits as 32 hexadecimal digits, made in one array (every look makes one). */
	static byte[] token() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		byte[] token = new byte[32];
		long bits = random.nextLong();
		for (int i = 0; i < 32; i++) {
			if (i == 16) {
				bits = random.nextLong();
			}
			token[i] = HEX[(int) (bits & 0xf)];
			bits >>>= 4;
		}
		return token;
	}

}
