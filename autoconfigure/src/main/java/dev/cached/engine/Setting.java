package dev.cached.engine;

import org.jspecify.annotations.Nullable;

/**
 * An effective setting and where it came from.
 *
 * @param <T> the value type
 * @param value the value; {@code null} means "none" (no ttl, no wait timeout)
 * @param source where it came from
 */
public record Setting<T>(@Nullable T value, SettingSource source) {
}
