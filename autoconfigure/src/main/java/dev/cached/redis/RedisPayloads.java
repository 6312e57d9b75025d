package dev.cached.redis;

import java.util.concurrent.atomic.AtomicBoolean;

import org.aopalliance.intercept.MethodInvocation;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteStatistics;

/**
 * The JSON of one remote cache's values: which type each caller reads them as, writing
 * them (never larger than {@code cached.redis.max-value-size}), and the faults of both,
 * counted in {@code cache.remote.errors} and logged once per cache, never with a key or a
 * value.
 */
final class RedisPayloads {

	/** The log category these lines always had: operators may have set its level. */
	private static final Log logger = LogFactory.getLog(RedisEntries.class);

	private final String cacheName;

	/** How values are read and written; {@code null} for a cache whose values stay local. */
	private final @Nullable RedisValues values;

	private final RemoteStatistics statistics;

	private final long maxValueSize;

	private final AtomicBoolean foreignPayloadLogged = new AtomicBoolean();

	private final AtomicBoolean tooLargeLogged = new AtomicBoolean();

	RedisPayloads(CachedCache cache, @Nullable RedisValues values, long maxValueSize) {
		this.cacheName = cache.getName();
		this.values = values;
		this.statistics = cache.getRemoteStatistics();
		this.maxValueSize = maxValueSize;
	}

	/**
	 * Return how the method of a caller's context reads its values: each method sharing a
	 * cache reads as its own declared return type.
	 * @param context the caller's context (a {@link MethodInvocation}), or {@code null}
	 * @return the reader, or {@code null} for a cache whose values stay local
	 */
	@Nullable RedisValues reader(@Nullable Object context) {
		RedisValues values = this.values;
		if (values != null && context instanceof MethodInvocation invocation) {
			Object target = invocation.getThis();
			return values.forCall(invocation.getMethod(),
					(target != null) ? ClassUtils.getUserClass(target.getClass()) : null);
		}
		return values;
	}

	/** Read a payload with {@code reader} (the cache's own type when {@code null}). */
	@Nullable Object read(byte[] payload, @Nullable RedisValues reader) {
		RedisValues values = (reader != null) ? reader : this.values;
		if (values == null) {
			throw new IllegalStateException("no values kept in Redis");
		}
		return values.read(payload);
	}

	/**
	 * The JSON of a value, or {@code null} (counted and logged) if it cannot be written or
	 * is larger than {@code cached.redis.max-value-size}.
	 */
	byte @Nullable [] write(@Nullable Object value) {
		RedisValues values = this.values;
		if (values == null) {
			return null;
		}
		byte[] payload;
		try {
			payload = values.write(value);
		}
		catch (RuntimeException ex) {
			this.statistics.recordError();
			// the exception's message may quote the value: only its type is logged
			logger.warn("A value of cache '" + this.cacheName + "' could not be written as JSON ("
					+ ex.getClass().getSimpleName() + "); it stays local");
			return null;
		}
		if (payload.length > this.maxValueSize) {
			this.statistics.recordError();
			if (this.tooLargeLogged.compareAndSet(false, true)) {
				logger.warn("A value of cache '" + this.cacheName + "' is " + payload.length
						+ " bytes as JSON, more than cached.redis.max-value-size (" + this.maxValueSize
						+ " bytes): it stays local; logged once per cache");
			}
			return null;
		}
		return payload;
	}

	/** An entry in Redis larger than {@code cached.redis.max-value-size}: counted, logged once. */
	void tooLarge() {
		this.statistics.recordError();
		if (this.tooLargeLogged.compareAndSet(false, true)) {
			// never the key: it may be personal data
			logger.warn("A Redis entry of cache '" + this.cacheName + "' is larger than "
					+ "cached.redis.max-value-size (" + this.maxValueSize
					+ " bytes): not read, a miss, and overwritten by the next load; logged once per cache");
		}
	}

	/** An entry in Redis that is not JSON of the reader's type: counted, logged once. */
	void foreign(RuntimeException ex, @Nullable RedisValues reader) {
		RedisValues values = (reader != null) ? reader : this.values;
		this.statistics.recordError();
		if (this.foreignPayloadLogged.compareAndSet(false, true)) {
			// neither the key (personal data, maybe) nor the exception's message (it may quote
			// the payload) is logged: the cache's name, the declared type and the reason only
			logger.warn("A Redis entry of cache '" + this.cacheName + "' is not JSON of "
					+ ((values != null) ? values.type() : "?") + " (" + ex.getClass().getSimpleName()
					+ "): read as a miss and overwritten by the next load; logged once per cache");
		}
	}

}
