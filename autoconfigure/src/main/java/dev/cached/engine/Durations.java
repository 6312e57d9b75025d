package dev.cached.engine;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations of {@code @Cached(ttl=…)}: ISO-8601 ({@code PT1H}) or a number
 * with a unit ({@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 1d}; also
 * {@code ns} and {@code us}; a bare number is milliseconds), the way Spring Boot reads
 * durations in properties.
 */
public final class Durations {

	private static final Pattern SIMPLE = Pattern.compile("^([+-]?\\d+)(ns|us|ms|s|m|h|d)?$", Pattern.CASE_INSENSITIVE);

	private Durations() {
	}

	/**
	 * Parse a duration.
	 * @param text the text
	 * @return the duration
	 * @throws IllegalArgumentException if the text is not a duration
	 */
	public static Duration parse(String text) {
		String trimmed = text.trim();
		Matcher matcher = SIMPLE.matcher(trimmed);
		if (matcher.matches()) {
			long amount = Long.parseLong(matcher.group(1));
			String unit = (matcher.group(2) != null) ? matcher.group(2).toLowerCase() : "ms";
			return switch (unit) {
				case "ns" -> Duration.ofNanos(amount);
				case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1000));
				case "ms" -> Duration.ofMillis(amount);
				case "s" -> Duration.ofSeconds(amount);
				case "m" -> Duration.ofMinutes(amount);
				case "h" -> Duration.ofHours(amount);
				default -> Duration.ofDays(amount);
			};
		}
		try {
			return Duration.parse(trimmed);
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("'" + text + "' is not a duration", ex);
		}
	}

	/**
	 * Format a duration in the shortest exact form that {@link #parse(String)} reads back:
	 * a whole number of the largest unit among {@code d}, {@code h}, {@code m}, {@code s}
	 * and {@code ms} that divides it exactly ({@code 5m}, {@code 90s}, {@code 500ms}),
	 * {@code 0s} for zero, and ISO-8601 ({@code PT0.0005S}) when no such unit fits.
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
