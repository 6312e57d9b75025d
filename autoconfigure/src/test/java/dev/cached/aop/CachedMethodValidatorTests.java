package dev.cached.aop;

import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.actuate.endpoint.CachedEndpoint.CacheDescriptor;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.CachedStartupReport;
import dev.cached.autoconfigure.endpoint.CachedEndpointAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.data.jdbc.autoconfigure.DataJdbcRepositoriesAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
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
import org.springframework.data.repository.ListCrudRepository;
import org.springframework.data.repository.ListPagingAndSortingRepository;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link CachedMethodValidator}: every annotated method is read at startup,
 * whatever the proxy, here with a real Spring Data JDBC repository (a JDK proxy over
 * {@code SimpleJdbcRepository}, which carries none of the interface's annotations); and
 * the checks across methods, among them the keys of remote caches when a tier is
 * attached.
 */
class CachedMethodValidatorTests {

	private static final String PREFIX = "dev.cached.aop.CachedMethodValidatorTests$";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedEndpointAutoConfiguration.class, DataSourceAutoConfiguration.class,
				JdbcTemplateAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
				TransactionAutoConfiguration.class, DataJdbcRepositoriesAutoConfiguration.class))
		.withPropertyValues("spring.datasource.generate-unique-name=true",
				"management.endpoints.web.exposure.include=cached");

	/** Our auto-configuration alone, for the checks across methods. */
	private final ApplicationContextRunner cachedRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class));

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
	void everyCachedMethodOfASpringDataRepositoryIsListedBeforeAnyCall() {
		this.contextRunner.withUserConfiguration(VetRepositoryConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(AopUtils.isAopProxy(context.getBean(VetRepository.class))).isTrue();
			List<String> methods = List.of(VetRepository.class.getName() + ".findAll()",
					VetRepository.class.getName() + ".findAll(org.springframework.data.domain.Pageable)");
			CacheDescriptor vets = context.getBean(CachedEndpoint.class).cache("vets");
			assertThat(vets).isNotNull();
			assertThat(vets.methods()).containsExactlyInAnyOrderElementsOf(methods);
			List<String> lines = this.appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
			assertThat(lines).singleElement().asString().startsWith("Cache 'vets': ").contains(methods);
			assertThat(vets.stats().misses()).isZero();
			// calls use the caches and operations the scan registered
			context.getBean(JdbcTemplate.class)
				.execute("create table vet (id bigint auto_increment primary key, last_name varchar(50))");
			context.getBean(JdbcTemplate.class).update("insert into vet (last_name) values ('Carter')");
			VetRepository repository = context.getBean(VetRepository.class);
			assertThat(repository.findAll()).extracting(Vet::lastName).containsExactly("Carter");
			assertThat(repository.findAll()).extracting(Vet::lastName).containsExactly("Carter");
			assertThat(repository.findAll(Pageable.ofSize(1)).getContent()).extracting(Vet::lastName)
				.containsExactly("Carter");
			assertThat(context.getBean(CacheRegistry.class).getCacheNames()).containsExactly("vets");
			CacheDescriptor after = context.getBean(CachedEndpoint.class).cache("vets");
			assertThat(after.methods()).containsExactlyInAnyOrderElementsOf(methods);
			assertThat(after.stats().misses()).isEqualTo(2);
			assertThat(after.stats().hits()).isEqualTo(1);
		});
	}

	@Test
	void aHitOfASpringDataRepositoryMethodTakesNoConnectionAndOpensNoTransaction() {
		this.contextRunner.withUserConfiguration(VetRepositoryConfiguration.class, CountingDataSourceConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				CountingDataSource dataSource = context.getBean(CountingDataSource.class);
				context.getBean(JdbcTemplate.class)
					.execute("create table vet (id bigint auto_increment primary key, last_name varchar(50))");
				VetRepository repository = context.getBean(VetRepository.class);
				assertThat(repository.findAll()).isEmpty();
				int afterMiss = dataSource.connections.get();
				assertThat(afterMiss).isPositive();
				assertThat(repository.findAll()).isEmpty();
				assertThat(dataSource.connections.get()).as("a hit never reaches the repository").isEqualTo(afterMiss);
			});
	}

	@Test
	void badKeyOnEitherMethodOfAnInjectedSpringDataRepositoryFailsStartupNamingIt() {
		// The repository is injected, so it is post-processed while the context starts;
		// the auto-proxy creator's own match check reads only the first annotated method
		// it meets, so a bad key on the other one would start cleanly without the scan:
		// each of the two methods carries the bad key once.
		this.contextRunner.withUserConfiguration(BadPagedKeyRepositoryConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("@Cached on method '" + BadPagedKeyRepository.class.getName()
						+ ".findAll(org.springframework.data.domain.Pageable)' has an invalid key \"#pagable\": "));
		this.contextRunner.withUserConfiguration(BadListKeyRepositoryConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("@Cached on method '" + BadListKeyRepository.class.getName()
						+ ".findAll()' has an invalid key \"#root.args[0].unknown(\": "));
	}

	@Test
	void badKeyOfASpringDataRepositoryThatNoBeanUsesFailsStartupNamingIt() {
		this.contextRunner.withUserConfiguration(UnusedBadPagedKeyRepositoryConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("@Cached on method '" + BadPagedKeyRepository.class.getName()
						+ ".findAll(org.springframework.data.domain.Pageable)' has an invalid key \"#pagable\": "));
	}

	@Test
	void methodsOfJdkProxiesSuperclassesAndGenericInterfacesAreListedBeforeAnyCall() {
		RatesClient client = (RatesClient) java.lang.reflect.Proxy.newProxyInstance(
				RatesClient.class.getClassLoader(), new Class<?>[] { RatesClient.class },
				(proxy, method, args) -> (method.getDeclaringClass() == Object.class) ? method.invoke(this, args)
						: "rate");
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
			.withBean(RatesClient.class, () -> client)
			.withBean(InheritingService.class)
			.withBean(StringFinder.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				CacheRegistry registry = context.getBean(CacheRegistry.class);
				assertThat(registry.getCacheNames()).containsExactly("BaseService.find", "RatesClient.rate",
						"StringFinder.find");
				assertThat(registry.getCache("RatesClient.rate").getMethods())
					.containsExactly(RatesClient.class.getName() + ".rate(java.lang.String)");
				assertThat(registry.getCache("BaseService.find").getMethods())
					.containsExactly(BaseService.class.getName() + ".find(long)");
				assertThat(registry.getCache("StringFinder.find").getMethods())
					.containsExactly(StringFinder.class.getName() + ".find(long)");
			});
	}

	@Test
	void badKeyOnAGenericInterfaceMethodFailsStartupNamingTheImplementation() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
			.withBean(BadKeyFinder.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("@Cached on method '" + BadKeyFinder.class.getName()
						+ ".find(long)' has an invalid key \"#ident\": "));
	}

	@Test
	void invalidateNamingAnUnknownCacheFailsStartup() {
		assertStartupFailure(UnknownInvalidate.class, "@CacheInvalidate on method '" + PREFIX
				+ "UnknownInvalidate.evict(long)' names cache 'nobody', which no @Cached method uses");
	}

	@Test
	void putNamingAnUnknownCacheFailsStartup() {
		assertStartupFailure(UnknownPut.class, "@CachePut on method '" + PREFIX
				+ "UnknownPut.save(long)' names cache 'nobody', which no @Cached method uses");
	}

	@Test
	void putOfATypeTheCachedMethodCannotReturnFailsStartup() {
		assertStartupFailure(MismatchedPut.class, "@CachePut on method '" + PREFIX
				+ "MismatchedPut.save(long)' stores java.lang.String into cache 'prices', whose @Cached method '"
				+ PREFIX + "MismatchedPut.price(long)' returns java.lang.Integer; return the type that the @Cached "
				+ "method returns");
	}

	@Test
	void putOfTheEventualValueTypeIntoACacheOfAnAsynchronousMethodStarts() {
		this.cachedRunner.withBean(AsyncPut.class).run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void putOfAnotherTypeThanTheEventualValueOfAnAsynchronousMethodFailsStartup() {
		assertStartupFailure(MismatchedAsyncPut.class, "@CachePut on method '" + PREFIX
				+ "MismatchedAsyncPut.put(long)' stores java.lang.Integer into cache 'quotes', whose @Cached method '"
				+ PREFIX + "MismatchedAsyncPut.find(long)' returns java.lang.String; return the type that the "
				+ "@Cached method returns");
	}

	@Test
	void putOfAPrimitiveIntoACacheOfItsWrapperStarts() {
		this.cachedRunner.withBean(PrimitivePut.class).run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void checkRemoteKeysNamesAMethodReadBeforeTheTierIsAttached() throws Exception {
		CachedOperationSource source = CachedAnnotationValidatorTests.remoteSource(false);
		for (Method method : CachedAnnotationValidatorTests.Orders.class.getDeclaredMethods()) {
			assertThat(source.getOperation(method, CachedAnnotationValidatorTests.Orders.class)).isNotNull();
		}
		String orders = CachedAnnotationValidatorTests.Orders.class.getName();
		String criteria = CachedAnnotationValidatorTests.Criteria.class.getName();
		assertThatIllegalStateException().isThrownBy(validator(source)::checkRemoteKeys)
			.withMessage("Method '" + orders + ".order(" + criteria + ")' uses remote cache 'orders' whose default "
					+ "key includes a parameter of type " + criteria + ", which has no stable form across instances; "
					+ "give the method a key expression that yields strings, numbers, booleans, enums, UUIDs or "
					+ "records of those (e.g. key = \"#p0.id\"), or set cached.caches.[orders].remote=false");
	}

	@Test
	void checkRemoteKeysPassesKeyExpressionsStableDefaultKeysAndCachesThatAreNotRemote() throws Exception {
		CachedOperationSource source = CachedAnnotationValidatorTests.remoteSource(false);
		Class<?> orders = CachedAnnotationValidatorTests.Orders.class;
		Class<?> criteria = CachedAnnotationValidatorTests.Criteria.class;
		for (Method method : List.of(orders.getMethod("byCriteria", criteria), orders.getMethod("byId", long.class),
				orders.getMethod("local", criteria))) {
			assertThat(source.getOperation(method, orders)).isNotNull();
		}
		validator(source).checkRemoteKeys();
	}

	private void assertStartupFailure(Class<?> beanClass, String message) {
		this.cachedRunner.withBean(beanClass).run((context) -> assertFailure(context, message));
	}

	private static void assertFailure(AssertableApplicationContext context, String message) {
		assertThat(context).hasFailed();
		assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
			.isInstanceOf(IllegalStateException.class)
			.hasMessage(message);
	}

	private static CachedMethodValidator validator(CachedOperationSource source) {
		DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
		beanFactory.registerSingleton("cachedOperationSource", source);
		return new CachedMethodValidator(beanFactory.getBeanProvider(CachedOperationSource.class));
	}

	public interface RatesClient {

		@Cached
		String rate(String currency);

	}

	static class BaseService {

		@Cached
		public String find(long id) {
			return "base " + id;
		}

	}

	static class InheritingService extends BaseService {

	}

	interface Finder<T> {

		@Cached
		T find(long id);

	}

	static class StringFinder implements Finder<String> {

		@Override
		public String find(long id) {
			return "found " + id;
		}

	}

	interface BadKeyFinderApi<T> {

		@Cached(key = "#ident")
		T find(long id);

	}

	static class BadKeyFinder implements BadKeyFinderApi<String> {

		@Override
		public String find(long id) {
			return "found " + id;
		}

	}

	record Vet(@Id Long id, String lastName) {
	}

	interface VetRepository extends ListCrudRepository<Vet, Long>, ListPagingAndSortingRepository<Vet, Long> {

		@Override
		@Cached(name = "vets")
		List<Vet> findAll();

		@Override
		@Cached(name = "vets", key = "#pageable")
		Page<Vet> findAll(Pageable pageable);

	}

	interface BadPagedKeyRepository extends ListCrudRepository<Vet, Long>, ListPagingAndSortingRepository<Vet, Long> {

		@Override
		@Cached(name = "vets")
		List<Vet> findAll();

		@Override
		@Cached(name = "vets", key = "#pagable")
		Page<Vet> findAll(Pageable pageable);

	}

	interface BadListKeyRepository extends ListCrudRepository<Vet, Long>, ListPagingAndSortingRepository<Vet, Long> {

		@Override
		@Cached(name = "vets", key = "#root.args[0].unknown(")
		List<Vet> findAll();

		@Override
		@Cached(name = "vets", key = "#pageable")
		Page<Vet> findAll(Pageable pageable);

	}

	@Configuration(proxyBeanMethods = false)
	@EnableJdbcRepositories(considerNestedRepositories = true,
			includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = VetRepository.class))
	static class VetRepositoryConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	static class CountingDataSourceConfiguration {

		@Bean
		CountingDataSource dataSource() {
			return new CountingDataSource(new EmbeddedDatabaseBuilder().generateUniqueName(true)
				.setType(EmbeddedDatabaseType.H2)
				.build());
		}

	}

	static class CountingDataSource extends DelegatingDataSource {

		final AtomicInteger connections = new AtomicInteger();

		CountingDataSource(DataSource target) {
			super(target);
		}

		@Override
		public Connection getConnection() throws SQLException {
			this.connections.incrementAndGet();
			return super.getConnection();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableJdbcRepositories(considerNestedRepositories = true,
			includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = BadPagedKeyRepository.class))
	static class BadPagedKeyRepositoryConfiguration {

		@Bean
		Object vetService(BadPagedKeyRepository repository) {
			return List.of(repository);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableJdbcRepositories(considerNestedRepositories = true,
			includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = BadListKeyRepository.class))
	static class BadListKeyRepositoryConfiguration {

		@Bean
		Object vetService(BadListKeyRepository repository) {
			return List.of(repository);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableJdbcRepositories(considerNestedRepositories = true,
			includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE, classes = BadPagedKeyRepository.class))
	static class UnusedBadPagedKeyRepositoryConfiguration {

	}

	static class AsyncPut {

		@Cached(name = "quotes")
		public CompletableFuture<String> find(long id) {
			return CompletableFuture.completedFuture("x");
		}

		@CachePut(name = "quotes", key = "#id")
		public String put(long id) {
			return "y";
		}

	}

	static class MismatchedAsyncPut {

		@Cached(name = "quotes")
		public Mono<String> find(long id) {
			return Mono.just("x");
		}

		@CachePut(name = "quotes", key = "#id")
		public Integer put(long id) {
			return 1;
		}

	}

	static class UnknownInvalidate {

		@CacheInvalidate(name = "nobody")
		public void evict(long id) {
		}

	}

	static class UnknownPut {

		@CachePut(name = "nobody")
		public String save(long id) {
			return "x";
		}

	}

	static class MismatchedPut {

		@Cached(name = "prices")
		public Integer price(long id) {
			return 1;
		}

		@CachePut(name = "prices", key = "#id")
		public String save(long id) {
			return "x";
		}

	}

	static class PrimitivePut {

		@Cached(name = "prices")
		public Number price(long id) {
			return 1;
		}

		@CachePut(name = "prices", key = "#id")
		public int save(long id) {
			return 2;
		}

	}

}
