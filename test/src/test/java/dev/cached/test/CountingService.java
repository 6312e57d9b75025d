package dev.cached.test;

import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;

/**
 * A bean whose cached method tells each load apart: {@code a-1}, then {@code a-2}.
 */
public class CountingService {

	/** The cache of {@link #next(String)}. */
	public static final String CACHE_NAME = "CountingService.next";

	private final AtomicInteger loads = new AtomicInteger();

	@Cached
	public String next(String key) {
		return key + "-" + this.loads.incrementAndGet();
	}

}
