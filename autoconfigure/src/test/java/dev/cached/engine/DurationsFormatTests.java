package dev.cached.engine;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.convert.DurationStyle;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Durations#format(Duration)}.
 */
class DurationsFormatTests {

	@Test
	void formatUsesTheLargestUnitThatFitsExactly() {
		assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
		assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30s");
		assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
		assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
		assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
		assertThat(Durations.format(Duration.ofHours(1))).isEqualTo("1h");
		assertThat(Durations.format(Duration.ofHours(36))).isEqualTo("36h");
		assertThat(Durations.format(Duration.ofDays(2))).isEqualTo("2d");
	}

	@Test
	void formatOfZeroIsZeroSeconds() {
		assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
	}

	@Test
	void formatWithoutAWholeMillisecondIsIso() {
		assertThat(Durations.format(Duration.ofNanos(500_000))).isEqualTo("PT0.0005S");
		assertThat(Durations.format(Duration.ofSeconds(1, 1))).isEqualTo("PT1.000000001S");
	}

	@Test
	void formatReadsBackAsTheSameDuration() {
		for (Duration duration : new Duration[] { Duration.ofMinutes(5), Duration.ofMillis(1500),
				Duration.ofNanos(500_000), Duration.ofDays(3), Duration.ZERO }) {
			assertThat(DurationStyle.detectAndParse(Durations.format(duration))).isEqualTo(duration);
		}
	}

}
