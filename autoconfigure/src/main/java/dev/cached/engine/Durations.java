package dev.cached.engine;

import java.time.Duration;

/**
 * Writes durations for people: the startup log, the actuator endpoint and messages. The
 * engine never parses one: durations in annotations are read above it (by Spring Boot's
 * rules for properties when the auto-configuration is used) and handed in as
 * {@link Duration}s.
 */
public final class Durations {

	private Durations() {
	}

	/**
	 * Format a duration in the shortest exact form that Spring Boot's duration properties
	 * (and so {@code @Cached(ttl=…)}) read back: a whole number of the largest unit among
	 * {@code d}, {@code h}, {@code m}, {@code s} and {@code ms} that divides it exactly
	 * ({@code 5m}, {@code 90s}, {@code 500ms}), {@code 0s} for zero, and ISO-8601
	 * ({@code PT0.0005S}) when no such unit fits.
	 * @param duration the duration
	 * @return the text
	 */
	public static String format(Duration duration) {
		if (duration.isZero()) {
			return "0s";
		}
		if (duration.getNano() % 1_000_000 != 0 || Math.abs(duration.getSeconds()) > Long.MAX_VALUE / 1000 - 1) {
			return duration.toString();
		}
		long millis = duration.toMillis();
		long[] sizes = { 86_400_000L, 3_600_000L, 60_000L, 1000L, 1L };
		String[] units = { "d", "h", "m", "s", "ms" };
		for (int i = 0; i < sizes.length; i++) {
			if (millis % sizes[i] == 0) {
				return (millis / sizes[i]) + units[i];
			}
		}
		return duration.toString();
	}

}
