package dev.cached.autoconfigure;

import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cached.Cached;
import dev.cached.autoconfigure.refresh.CachedRefreshAutoConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedStartupReport}.
 */
class CachedStartupReportTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withUserConfiguration(ServiceConfiguration.class);

	private final Logger logger = (Logger) LoggerFactory.getLogger(CachedStartupReport.class);

	private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

	@BeforeEach
	void attach() {
		this.appender.start();
		this.logger.addAppender(this.appender);
	}

	@AfterEach
	void detach() {
		this.logger.detachAppender(this.appender);
	}

	@Test
	void logsOneInfoLinePerCacheWithSettingsAndSources() {
		this.contextRunner
			.withPropertyValues("cached.caches.[ReportedService.rules].max-size=1", "cached.defaults.wait-timeout=30s")
			.run((context) -> {
				List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
				assertThat(lines).containsExactly("Cache 'ReportedService.rules': ttl=5m (annotation), max-size=1 (cache), "
						+ "wait-timeout=30s (defaults), cache-null-values=true (built-in), methods=["
						+ ReportedService.class.getName() + ".rules(java.lang.String)]");
			});
	}

	@Test
	void addsTheExpiryStampedeSettingsThatAreSet() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(CachedRefreshAutoConfiguration.class))
			.withPropertyValues("cached.caches.[ReportedService.rules].refresh-after=4m",
					"cached.defaults.ttl-jitter=0.1")
			.run((context) -> {
				List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
				assertThat(lines).containsExactly("Cache 'ReportedService.rules': ttl=5m (annotation), "
						+ "max-size=10000 (built-in), wait-timeout=none (built-in), cache-null-values=true (built-in), "
						+ "refresh-after=4m (cache), ttl-jitter=0.1 (defaults), methods=["
						+ ReportedService.class.getName() + ".rules(java.lang.String)]");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class ServiceConfiguration {

		@Bean
		ReportedService reportedService() {
			return new ReportedService();
		}

	}

	static class ReportedService {

		@Cached(ttl = "5m")
		public String rules(String id) {
			return id;
		}

	}

}
