package org.springframework.samples.petclinic.vet;

import java.util.Collection;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cached.Cached;
import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.actuate.endpoint.CachedEndpoint.CacheDescriptor;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.CachedStartupReport;
import dev.cached.autoconfigure.endpoint.CachedEndpointAutoConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.data.jdbc.autoconfigure.DataJdbcRepositoriesAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan.Filter;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.data.annotation.Id;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jdbc.repository.config.EnableJdbcRepositories;
import org.springframework.data.repository.Repository;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The startup scan reads an application that lives under {@code org.springframework},
 * as Spring PetClinic does ({@code org.springframework.samples.petclinic}): its
 * {@code @Cached} methods are checked and registered at startup like any other
 * application's, not at their first call.
 */
class PetClinicPackageValidationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedEndpointAutoConfiguration.class, DataSourceAutoConfiguration.class,
				JdbcTemplateAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
				TransactionAutoConfiguration.class, DataJdbcRepositoriesAutoConfiguration.class))
		.withPropertyValues("spring.datasource.generate-unique-name=true",
				"management.endpoints.web.exposure.include=cached");

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
	void aKeyTypoOnARepositoryUnderOrgSpringframeworkFailsStartupNamingTheMethodAndTheKey() {
		this.contextRunner.withUserConfiguration(TypoVetRepositoryConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("@Cached on method '" + TypoVetRepository.class.getName()
						+ ".findAll(org.springframework.data.domain.Pageable)' has an invalid key \"#pagable\": "));
	}

	@Test
	void aKeyTypoOnAServiceUnderOrgSpringframeworkFailsStartupNamingTheMethodAndTheKey() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
			.withUserConfiguration(TypoVetServiceConfiguration.class)
			.run((context) -> assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("@Cached on method '" + TypoVetService.class.getName()
						+ ".page(org.springframework.data.domain.Pageable)' has an invalid key \"#pagable\": "));
	}

	@Test
	void everyMethodIsListedBeforeAnyCallAndItsCacheSettingsRaiseNoWarning() {
		this.contextRunner.withUserConfiguration(VetRepositoryConfiguration.class)
			.withPropertyValues("cached.caches.vetPages.max-size=50")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				CachedEndpoint endpoint = context.getBean(CachedEndpoint.class);
				CacheDescriptor vets = endpoint.cache("vets");
				CacheDescriptor pages = endpoint.cache("vetPages");
				assertThat(vets).isNotNull();
				assertThat(vets.methods()).containsExactly(VetRepository.class.getName() + ".findAll()");
				assertThat(pages).as("the Pageable method's cache, before any call").isNotNull();
				assertThat(pages.methods())
					.containsExactly(VetRepository.class.getName() + ".findAll(org.springframework.data.domain.Pageable)");
				assertThat(pages.stats().misses()).isZero();
				List<String> warnings = this.appender.list.stream()
					.filter((event) -> event.getLevel() == Level.WARN)
					.map(ILoggingEvent::getFormattedMessage)
					.toList();
				assertThat(warnings).isEmpty();
				List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
				assertThat(lines).anySatisfy((line) -> assertThat(line).startsWith("Cache 'vetPages': ")
					.contains("max-size=50 (cache)")
					.contains(VetRepository.class.getName() + ".findAll(org.springframework.data.domain.Pageable)"));
			});
	}

	record Vet(@Id Long id, String lastName) {
	}

	interface VetRepository extends Repository<Vet, Long> {

		@Cached(name = "vets")
		Collection<Vet> findAll();

		@Cached(name = "vetPages", key = "#pageable")
		Page<Vet> findAll(Pageable pageable);

	}

	interface TypoVetRepository extends Repository<Vet, Long> {

		@Cached(name = "vets")
		Collection<Vet> findAll();

		@Cached(name = "vets", key = "#pagable")
		Page<Vet> findAll(Pageable pageable);

	}

	static class TypoVetService {

		@Cached(name = "vets")
		public List<String> all() {
			return List.of();
		}

		@Cached(name = "vetPages", key = "#pagable")
		public List<String> page(Pageable pageable) {
			return List.of();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableJdbcRepositories(considerNestedRepositories = true,
			includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = VetRepository.class))
	static class VetRepositoryConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@EnableJdbcRepositories(considerNestedRepositories = true,
			includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = TypoVetRepository.class))
	static class TypoVetRepositoryConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	static class TypoVetServiceConfiguration {

		@Bean
		TypoVetService typoVetService() {
			return new TypoVetService();
		}

	}

}
