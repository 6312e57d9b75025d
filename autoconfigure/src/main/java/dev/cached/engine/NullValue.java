package dev.cached.engine;

import java.io.Serializable;

import org.jspecify.annotations.Nullable;

/**
 * Stands in the store for a {@code null} result, since Caffeine holds no nulls.
 */
final class NullValue implements Serializable {

	static final NullValue INSTANCE = new NullValue();

	private static final long serialVersionUID = 1L;

	private NullValue() {
	}

	static Object mask(@Nullable Object value) {
		return (value != null) ? value : INSTANCE;
	}

	static @Nullable Object unmask(Object stored) {
		return (stored == INSTANCE) ? null : stored;
	}

	private Object readResolve() {
		return INSTANCE;
	}

	@Override
	public String toString() {
		return "null";
	}

}
