package dev.cached.actuate.cache;

import java.io.IOException;
import java.time.Duration;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cached.engine.CacheSettings;
import dev.cached.engine.CacheSpec;
import dev.cached.engine.CachedCache;
import org.junit.jupiter.api.Test;

import org.springframework.cache.Cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link CachedSpringCache}.
 */
class CachedSpringCacheTests {

	private final CachedCache cache = new CachedCache("books",
			CacheSettings.resolve(CacheSpec.NONE, null, new CacheSpec(Duration.ofMinutes(1), null, null, null)),
			Ticker.systemTicker(), Runnable::run);

	private final CachedSpringCache springCache = new CachedSpringCache(this.cache);

	@Test
	void getReadsWithoutCounting() {
		this.cache.put("a", "A");
		assertThat(this.springCache.get("a")).extracting(Cache.ValueWrapper::get).isEqualTo("A");
		assertThat(this.springCache.get("b")).isNull();
		assertThat(this.springCache.get("a", String.class)).isEqualTo("A");
		assertThat(this.cache.getStatistics().hits() + this.cache.getStatistics().misses()).isZero();
	}

	@Test
	void getOfStoredNullWrapsNull() {
		this.springCache.put("n", null);
		assertThat(this.springCache.get("n")).isNotNull().extracting(Cache.ValueWrapper::get).isNull();
	}

	@Test
	void getWithWrongTypeFails() {
		this.cache.put("a", "A");
		assertThatIllegalStateException().isThrownBy(() -> this.springCache.get("a", Integer.class))
			.withMessageContaining("java.lang.Integer");
	}

	@Test
	void getWithValueLoaderLoadsOnceAndCounts() {
		assertThat(this.springCache.get("a", () -> "A")).isEqualTo("A");
		assertThat(this.springCache.get("a", () -> "other")).isEqualTo("A");
		assertThat(this.cache.getStatistics().misses()).isEqualTo(1);
		assertThat(this.cache.getStatistics().hits()).isEqualTo(1);
	}

	@Test
	void getWithFailingValueLoaderWrapsTheFailureAndStoresNothing() {
		IOException failure = new IOException("down");
		assertThatExceptionOfType(Cache.ValueRetrievalException.class)
			.isThrownBy(() -> this.springCache.get("a", () -> {
				throw failure;
			}))
			.withCause(failure);
		assertThat(this.cache.peek("a")).isNull();
	}

	@Test
	void evictAndClearRemoveEntries() {
		this.springCache.put("a", "A");
		this.springCache.put("b", "B");
		this.springCache.evict("a");
		assertThat(this.cache.peek("a")).isNull();
		assertThat(this.cache.peek("b")).isNotNull();
		this.springCache.clear();
		assertThat(this.cache.estimatedSize()).isZero();
	}

	@Test
	void nativeCacheIsTheCachedCache() {
		assertThat(this.springCache.getName()).isEqualTo("books");
		assertThat(this.springCache.getNativeCache()).isSameAs(this.cache);
	}

}
