package dev.cached.redis;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Callers waiting for another instance's lease on a key, by the name this instance knows
 * the key by ({@link RedisKeys#entryKey}): registered by a caller before it looks, removed
 * by the caller when it stops waiting or by the message that wakes it
 * ({@link RedisEvents}, on a listening thread). One future per key, shared by every
 * caller waiting for it.
 */
final class RedisWaiters {

	private final Map<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();

	/**
	 * Return the future a caller waits on for news of {@code entryKey}: registered before
	 * the caller looks, so that no message is missed between its look and its wait. It
	 * completes normally, on a listening thread, when a message about the key arrives.
	 * @param entryKey the key's name
	 * @return the future, shared by every caller waiting for that key
	 */
	CompletableFuture<Void> waiter(String entryKey) {
		return this.waiters.computeIfAbsent(entryKey, (key) -> new CompletableFuture<>());
	}

	/**
	 * The caller registered {@code waiter} and no longer waits: forget it, unless news came.
	 * @param entryKey the key's name
	 * @param waiter the future {@link #waiter} returned
	 */
	void forget(String entryKey, CompletableFuture<Void> waiter) {
		this.waiters.remove(entryKey, waiter);
	}

	/** News of {@code entryKey} came: wake its waiters. */
	void wake(String entryKey) {
		CompletableFuture<Void> waiter = this.waiters.remove(entryKey);
		if (waiter != null) {
			waiter.complete(null);
		}
	}

	/** Wake the waiters of every key whose name starts with {@code base} (a cache's, after a clear). */
	void wakeAll(String base) {
		for (String entryKey : this.waiters.keySet()) {
			if (entryKey.startsWith(base)) {
				wake(entryKey);
			}
		}
	}

}
