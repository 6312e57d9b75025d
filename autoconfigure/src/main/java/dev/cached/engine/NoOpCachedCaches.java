package dev.cached.engine;

import java.util.List;
import java.util.Optional;

import dev.cached.CachedCaches;
import org.jspecify.annotations.Nullable;

/**
 * The {@link CachedCaches} API when caching is switched off: every name gives a cache
 * that stores nothing, so code that invalidates or reads programmatically runs unchanged.
 */
public final class NoOpCachedCaches implements CachedCaches {

	@Override
	public List<String> getCacheNames() {
		return List.of();
	}

	@Override
	public Cache getCache(String name) {
		return new Empty(name);
	}

	@Override
	public Optional<Cache> findCache(String name) {
		return Optional.of(new Empty(name));
	}

	private record Empty(String name) implements Cache {

		@Override
		public String getName() {
			return this.name;
		}

		@Override
		public @Nullable Object get(@Nullable Object key) {
			return null;
		}

		@Override
		public boolean contains(@Nullable Object key) {
			return false;
		}

		@Override
		public void put(@Nullable Object key, @Nullable Object value) {
		}

		@Override
		public void invalidate(@Nullable Object key) {
		}

		@Override
		public void invalidateAll() {
		}

		@Override
		public Statistics getStatistics() {
			return Statistics.EMPTY;
		}

	}

}
