package dev.cached.engine;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index of a cache's keys by form: every stored key is in it, whichever way it was
 * stored (a load, a put, a value a shared tier answered) and whatever left the store
 * (an invalidation, a clear, an eviction for size, an expiry); so an invalidation by form
 * removes exactly the keys of that form, and a load of one of them running then is not
 * stored (G8).
 */
class KeyIndexTests {

	private static final Duration TTL = Duration.ofMinutes(10);

	private final AtomicLong nanos = new AtomicLong();

	private final Ticker ticker = this.nanos::get;

	@Test
	void anInvalidationByFormRemovesTheKeysOfThatFormOnly() throws Throwable {
		CachedCache cache = cache(null, null);
		for (int i = 0; i < 100; i++) {
			cache.get(i, (context) -> "v" + context, "x");
		}
		cache.put(1000L, "long");
		cache.putLocally(2000, "two thousand");
		// 7 as an Integer and as a Long share the form "7"
		cache.put(7L, "seven as a long");
		cache.invalidateLocallyByForm("7");
		assertThat(cache.peek(7)).isNull();
		assertThat(cache.peek(7L)).isNull();
		for (int i = 0; i < 100; i++) {
			if (i != 7) {
				assertThat(cache.peek(i)).as("key %s", i).isNotNull();
			}
		}
		cache.invalidateLocallyByForm("1000");
		cache.invalidateLocallyByForm("2000");
		assertThat(cache.peek(1000L)).isNull();
		assertThat(cache.peek(2000)).isNull();
		assertThat(cache.links.keyIndex().size()).isEqualTo(99);
	}

	@Test
	void aLoadInFlightOfTheFormIsNotStored() throws Throwable {
		CachedCache cache = cache(null, null);
		Object value = cache.get(5, (context) -> {
			// another instance invalidates the key while it loads
			cache.invalidateLocallyByForm("5");
			return "loaded";
		}, "x");
		assertThat(value).isEqualTo("loaded");
		assertThat(cache.peek(5)).isNull();
		assertThat(cache.links.keyIndex().size()).isZero();
	}

	@Test
	void evictedKeysLeaveTheIndex() throws Throwable {
		CachedCache cache = cache(null, 10L);
		for (int i = 0; i < 1000; i++) {
			cache.get(i, (context) -> "v", "x");
		}
		cache.getNativeCache().cleanUp();
		assertThat(cache.estimatedSize()).isEqualTo(10);
		assertThat(cache.links.keyIndex().size()).isEqualTo(10);
		for (Object key : cache.getNativeCache().asMap().keySet()) {
			assertThat(cache.links.keyIndex().keys(key.toString())).containsExactly(key);
		}
	}

	@Test
	void expiredKeysLeaveTheIndexAndAKeyWrittenAgainAfterItsExpiryStaysInIt() throws Throwable {
		CachedCache cache = cache(TTL, null);
		cache.get(1, (context) -> "v", "x");
		cache.get(2, (context) -> "v", "x");
		this.nanos.addAndGet(TTL.toNanos() + 1);
		// written again over its expired entry, in the operation that evicts that entry
		cache.put(1, "again");
		cache.getNativeCache().cleanUp();
		assertThat(cache.links.keyIndex().keys("2")).isEmpty();
		assertThat(cache.links.keyIndex().keys("1")).containsExactly(1);
		cache.invalidateLocallyByForm("1");
		assertThat(cache.peek(1)).isNull();
	}

	@Test
	void aClearEmptiesTheIndex() throws Throwable {
		CachedCache cache = cache(null, null);
		for (int i = 0; i < 100; i++) {
			cache.get(i, (context) -> "v", "x");
		}
		cache.invalidateAllLocally();
		assertThat(cache.links.keyIndex().size()).isZero();
		cache.get(3, (context) -> "v", "x");
		cache.clearStoredLocally();
		assertThat(cache.links.keyIndex().size()).isZero();
	}

	@Test
	void keysStoredBeforeTheIndexAreIndexed() throws Throwable {
		CachedCache cache = new CachedCache("c", settings(null, null), this.ticker, Runnable::run);
		cache.get(1, (context) -> "v", "x");
		cache.indexKeys(Object::toString);
		cache.invalidateLocallyByForm("1");
		assertThat(cache.peek(1)).isNull();
	}

	private CachedCache cache(@Nullable Duration ttl, @Nullable Long maxSize) {
		CachedCache cache = new CachedCache("c", settings(ttl, maxSize), this.ticker, Runnable::run);
		cache.indexKeys(Object::toString);
		return cache;
	}

	private static CacheSettings settings(@Nullable Duration ttl, @Nullable Long maxSize) {
		return CacheSettings.resolve("c", new CacheSpec(ttl, maxSize, null, null), null, CacheSpec.NONE);
	}

}
