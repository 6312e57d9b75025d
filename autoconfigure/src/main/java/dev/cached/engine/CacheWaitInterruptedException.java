package dev.cached.engine;

/**
 * Thrown to a caller that was interrupted while it waited for a load started by another
 * caller. The caller's interrupt flag is set; the load and the other callers go on.
 */
public class CacheWaitInterruptedException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create the exception.
	 * @param cacheName the cache whose load was being waited for
	 * @param cause the interruption
	 */
	public CacheWaitInterruptedException(String cacheName, InterruptedException cause) {
		super("Interrupted while waiting for a load of cache '" + cacheName + "'", cause);
	}

}
