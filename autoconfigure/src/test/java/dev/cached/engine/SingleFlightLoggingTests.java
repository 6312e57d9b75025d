package dev.cached.engine;

import java.time.Duration;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.benmanes.caffeine.cache.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for the DEBUG line {@link SingleFlight} writes per load.
 */
class SingleFlightLoggingTests {

	private final Logger logger = (Logger) LoggerFactory.getLogger(SingleFlight.class);

	private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

	private Level previousLevel;

	private final CachedCache cache = new CachedCache("Rules.get",
			CacheSettings.resolve(CacheSpec.NONE, null, new CacheSpec(Duration.ofMinutes(1), null, null, null)),
			Ticker.systemTicker(), Runnable::run);

	@BeforeEach
	void attach() {
		this.previousLevel = this.logger.getLevel();
		this.appender.start();
		this.logger.addAppender(this.appender);
	}

	@AfterEach
	void detach() {
		this.logger.detachAppender(this.appender);
		this.logger.setLevel(this.previousLevel);
	}

	@Test
	void debugLineNamesCacheKeyDurationOutcomeAndCoalescedCallers() throws Throwable {
		this.logger.setLevel(Level.DEBUG);
		this.cache.get("k", (context) -> "v", "k");
		this.cache.get("k", (context) -> "v", "k");
		List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
		assertThat(lines).hasSize(1);
		assertThat(lines.get(0)).matches("Cache 'Rules.get' loaded key k in \\d+\\.\\d{3} ms \\(success\\), 0 coalesced caller\\(s\\)");
	}

	@Test
	void debugLineSaysWhenTheLoadFailed() {
		this.logger.setLevel(Level.DEBUG);
		assertThatIllegalArgumentException().isThrownBy(() -> this.cache.get("k", (context) -> {
			throw new IllegalArgumentException("secret");
		}, "k"));
		assertThat(this.appender.list).singleElement()
			.extracting(ILoggingEvent::getFormattedMessage)
			.asString()
			.contains("(failed: java.lang.IllegalArgumentException)")
			.doesNotContain("secret");
	}

	@Test
	void nothingIsLoggedAboveDebug() throws Throwable {
		this.logger.setLevel(Level.INFO);
		this.cache.get("k", (context) -> "v", "k");
		assertThat(this.appender.list).isEmpty();
	}

}
