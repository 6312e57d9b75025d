package dev.cached.aop;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.SubmissionPublisher;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.CachedProperties;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.NestedExceptionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link CachedOperationParser}: every annotation is read while the context
 * starts, and a value that cannot be read (an expression, a ttl, an asynchronous return
 * type, a cache name or ttl that the registry refuses) fails startup with a message naming
 * the method and the value.
 */
class CachedOperationParserTests {

	private static final String PREFIX = "dev.cached.aop.CachedOperationParserTests$";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class));

	@Test
	void malformedKeyExpressionFailsStartup() {
		assertStartupFailure(MalformedKey.class, "@Cached on method '" + PREFIX
				+ "MalformedKey.find(long)' has an invalid key \"#id +\": cannot parse '#id +': "
				+ "EL1042E: Problem parsing right operand");
	}

	@Test
	void malformedConditionExpressionFailsStartup() {
		assertStartupFailure(MalformedCondition.class, "@Cached on method '" + PREFIX
				+ "MalformedCondition.find(long)' has an invalid condition \"#id >\": cannot parse '#id >': "
				+ "EL1042E: Problem parsing right operand");
	}

	@Test
	void malformedUnlessExpressionFailsStartup() {
		assertStartupFailure(MalformedUnless.class, "@Cached on method '" + PREFIX
				+ "MalformedUnless.find(long)' has an invalid unless \"#result ==\": cannot parse '#result ==': "
				+ "EL1042E: Problem parsing right operand");
	}

	@Test
	void unknownVariableFailsStartup() {
		assertStartupFailure(UnknownVariable.class, "@Cached on method '" + PREFIX
				+ "UnknownVariable.find(long)' has an invalid key \"#idd\": '#idd' refers to #idd, which is not a "
				+ "parameter of the method; parameters are [#id] (names need the compiler flag -parameters; "
				+ "#p0/#a0 always work)");
	}

	@Test
	void resultInKeyFailsStartup() {
		assertStartupFailure(ResultInKey.class, "@Cached on method '" + PREFIX
				+ "ResultInKey.find(long)' has an invalid key \"#result\": '#result' uses #result, which is only "
				+ "available in 'unless', in @CachePut and in a @CacheInvalidate key or condition evaluated after "
				+ "the invocation");
	}

	@Test
	void resultInConditionFailsStartup() {
		assertStartupFailure(ResultInCondition.class, "@Cached on method '" + PREFIX
				+ "ResultInCondition.find(long)' has an invalid condition \"#result != null\": '#result != null' "
				+ "uses #result, which is only available in 'unless', in @CachePut and in a @CacheInvalidate key "
				+ "or condition "
				+ "evaluated after the invocation");
	}

	@Test
	void resultInBeforeInvocationInvalidateKeyFailsStartup() {
		assertStartupFailure(ResultBeforeInvocation.class, "@CacheInvalidate on method '" + PREFIX
				+ "ResultBeforeInvocation.evict(long)' has an invalid key \"#result\": '#result' uses #result, "
				+ "which is only available in 'unless', in @CachePut and in a @CacheInvalidate key or condition "
				+ "evaluated after the invocation");
	}

	@Test
	void unparsableTtlFailsStartup() {
		assertStartupFailure(UnparsableTtl.class, "@Cached on method '" + PREFIX
				+ "UnparsableTtl.find(long)' has ttl \"5 minutes\", which is not a duration; use a value such as "
				+ "500ms, 30s, 10m or PT1H");
	}

	/**
	 * {@code @Cached(ttl=…)} reads a duration by Spring Boot's rules for duration
	 * properties: each text gives the duration that {@code cached.defaults.ttl} in
	 * {@code application.yml} gives, and a text that the property rejects fails startup.
	 */
	@Test
	void annotationTtlAcceptsExactlyTheTextsOfApplicationYml() {
		this.contextRunner.withBean(TtlTexts.class).run((context) -> {
			assertThat(context).hasNotFailed();
			CacheRegistry registry = context.getBean(CacheRegistry.class);
			for (Method method : TtlTexts.class.getDeclaredMethods()) {
				Cached cached = method.getAnnotation(Cached.class);
				if (cached == null) {
					continue;
				}
				assertThat(registry.getCache(cached.name()).getSettings().ttl().value()).as(cached.ttl())
					.isEqualTo(ttlFromProperties(cached.ttl()))
					.isNotNull();
			}
		});
		for (String text : List.of("1w", "5 minutes", "1.5h", "10 s")) {
			assertThatExceptionOfType(BindException.class).as(text).isThrownBy(() -> ttlFromProperties(text));
		}
		assertStartupFailure(WeekTtl.class, "@Cached on method '" + PREFIX + "WeekTtl.find(long)' has ttl \"1w\", "
				+ "which is not a duration; use a value such as 500ms, 30s, 10m or PT1H");
	}

	private static @Nullable Duration ttlFromProperties(String text) {
		Binder binder = new Binder(new MapConfigurationPropertySource(Map.of("cached.defaults.ttl", text)));
		return binder.bind("cached", CachedProperties.class).get().getDefaults().getTtl();
	}

	@Test
	void negativeAnnotationTtlFailsStartup() {
		assertStartupFailure(NegativeTtl.class,
				"@Cached on method '" + PREFIX + "NegativeTtl.find(long)' has ttl \"-5s\", which is negative");
	}

	@Test
	void cachedOnPlainFutureMethodFailsStartup() {
		assertStartupFailure(FutureMethod.class, "@Cached on method '" + PREFIX
				+ "FutureMethod.find(long)' returns java.util.concurrent.Future, a future type that cannot be "
				+ "cached; return java.util.concurrent.CompletableFuture or java.util.concurrent.CompletionStage");
	}

	@Test
	void cachedOnCompletableFutureSubclassFailsStartup() {
		assertStartupFailure(FutureSubclassMethod.class, "@Cached on method '" + PREFIX
				+ "FutureSubclassMethod.find(long)' returns " + PREFIX + "OwnFuture, a future type that cannot be "
				+ "cached; return java.util.concurrent.CompletableFuture or java.util.concurrent.CompletionStage");
	}

	@Test
	void cachedOnPublisherThatIsNeitherMonoNorFluxFailsStartup() {
		assertStartupFailure(PublisherMethod.class, "@Cached on method '" + PREFIX
				+ "PublisherMethod.find(long)' returns org.reactivestreams.Publisher, a publisher type that cannot "
				+ "be cached; return reactor.core.publisher.Mono or reactor.core.publisher.Flux");
	}

	@Test
	void cachedOnFlowPublisherFailsStartup() {
		assertStartupFailure(FlowPublisherMethod.class, "@Cached on method '" + PREFIX
				+ "FlowPublisherMethod.find(long)' returns java.util.concurrent.Flow$Publisher, a publisher type "
				+ "that cannot be cached; return reactor.core.publisher.Mono or reactor.core.publisher.Flux");
	}

	@Test
	void cachedOnMonoMethodWithoutReactorFailsStartup() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("reactor.core"))
			.withBean(MonoMethod.class)
			.run((context) -> assertFailure(context, "@Cached on method '" + PREFIX
					+ "MonoMethod.find(long)' returns reactor.core.publisher.Mono, but Project Reactor is not on the "
					+ "classpath; add io.projectreactor:reactor-core to cache reactive results"));
	}

	@Test
	void cachedOnFluxMethodWithoutReactorFailsStartup() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("reactor.core"))
			.withBean(FluxMethod.class)
			.run((context) -> assertFailure(context, "@Cached on method '" + PREFIX
					+ "FluxMethod.find(long)' returns reactor.core.publisher.Flux, but Project Reactor is not on the "
					+ "classpath; add io.projectreactor:reactor-core to cache reactive results"));
	}

	@Test
	void cachedOnAsynchronousMethodsStartsWithReactorPresent() {
		this.contextRunner.withBean(MonoMethod.class)
			.withBean(FluxMethod.class)
			.withBean(CompletableFutureMethod.class)
			.withBean(CompletionStageMethod.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(CacheRegistry.class).getCache("MonoMethod.find")).isNotNull();
				assertThat(context.getBean(CacheRegistry.class).getCache("FluxMethod.find")).isNotNull();
				assertThat(context.getBean(CacheRegistry.class).getCache("CompletableFutureMethod.find"))
					.isNotNull();
				assertThat(context.getBean(CacheRegistry.class).getCache("CompletionStageMethod.find"))
					.isNotNull();
			});
	}

	@Test
	void overloadsWithTheSameDefaultNameFailStartupNamingBoth() {
		this.contextRunner.withBean(Overloads.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("both resolve to the default cache name 'Overloads.find'; give one of them "
						+ "@Cached(name = \"...\")")
				.hasMessageContaining("'" + PREFIX + "Overloads.find(long)'")
				.hasMessageContaining("'" + PREFIX + "Overloads.find(java.lang.String)'");
		});
	}

	@Test
	void sameSimpleClassNameInTwoNestedClassesFailsStartupNamingBoth() {
		this.contextRunner.withBean(First.Repo.class).withBean(Second.Repo.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessage("Methods '" + PREFIX + "First$Repo.find(long)' and '" + PREFIX
						+ "Second$Repo.find(long)' both resolve to the default cache name 'Repo.find'; give one "
						+ "of them @Cached(name = \"...\")");
		});
	}

	@Test
	void explicitSharedNameIsAllowedAndSharesTheCache() {
		this.contextRunner.withBean(SharedName.class).run((context) -> {
			assertThat(context).hasNotFailed();
			CachedCache cache = context.getBean(CacheRegistry.class).getCache("books");
			assertThat(cache).isNotNull();
			assertThat(cache.getMethods()).containsExactlyInAnyOrder(PREFIX + "SharedName.byId(long)",
					PREFIX + "SharedName.byIdAgain(long)");
			SharedName service = context.getBean(SharedName.class);
			assertThat(service.byId(7)).isEqualTo("byId 7");
			assertThat(service.byIdAgain(7)).isEqualTo("byId 7");
			assertThat(cache.estimatedSize()).isEqualTo(1);
		});
	}

	@Test
	void sharedCacheWithConflictingAnnotationTtlsFailsStartup() {
		this.contextRunner.withBean(ConflictingTtls.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("share cache 'books' but declare different ttls; declare the same ttl on both "
						+ "or set cached.caches.books.ttl")
				.hasMessageContaining(PREFIX + "ConflictingTtls.byId(long)' (ttl = \"10m\")")
				.hasMessageContaining(PREFIX + "ConflictingTtls.byIdAgain(long)' (ttl = \"5m\")");
		});
	}

	@Test
	void sharedCacheWithConflictingAnnotationTtlsStartsWhenThePerCacheTtlDecides() {
		this.contextRunner.withBean(ConflictingTtls.class)
			.withPropertyValues("cached.caches.books.ttl=1000s")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				CachedCache cache = context.getBean(CacheRegistry.class).getCache("books");
				assertThat(cache.getSettings().ttl().value()).hasSeconds(1000);
			});
	}

	@Test
	void malformedInvalidateConditionFailsStartup() {
		assertStartupFailure(MalformedInvalidateCondition.class, "@CacheInvalidate on method '" + PREFIX
				+ "MalformedInvalidateCondition.evict(long)' has an invalid condition \"#id >\": cannot parse "
				+ "'#id >': EL1042E: Problem parsing right operand");
	}

	@Test
	void resultInBeforeInvocationInvalidateConditionFailsStartup() {
		assertStartupFailure(ResultInBeforeInvocationCondition.class, "@CacheInvalidate on method '" + PREFIX
				+ "ResultInBeforeInvocationCondition.evict(long)' has an invalid condition \"#result\": '#result' "
				+ "uses #result, which is only available in 'unless', in @CachePut and in a @CacheInvalidate key or "
				+ "condition evaluated after the invocation");
	}

	@Test
	void unknownVariableInInvalidateConditionFailsStartup() {
		assertStartupFailure(UnknownVariableInInvalidateCondition.class, "@CacheInvalidate on method '" + PREFIX
				+ "UnknownVariableInInvalidateCondition.evict(long)' has an invalid condition \"#ident > 0\": "
				+ "'#ident > 0' refers to #ident, which is not a parameter of the method; parameters are [#id] "
				+ "(names need the compiler flag -parameters; #p0/#a0 always work)");
	}

	@Test
	void putWithMalformedKeyFailsStartup() {
		assertStartupFailure(MalformedPutKey.class, "@CachePut on method '" + PREFIX
				+ "MalformedPutKey.save(long)' has an invalid key \"#id +\": cannot parse '#id +': "
				+ "EL1042E: Problem parsing right operand");
	}

	@Test
	void putWithMalformedConditionFailsStartup() {
		assertStartupFailure(MalformedPutCondition.class, "@CachePut on method '" + PREFIX
				+ "MalformedPutCondition.save(long)' has an invalid condition \"#result ==\": cannot parse "
				+ "'#result ==': EL1042E: Problem parsing right operand");
	}

	@Test
	void putWithUnknownVariableInUnlessFailsStartup() {
		assertStartupFailure(UnknownPutVariable.class, "@CachePut on method '" + PREFIX
				+ "UnknownPutVariable.save(long)' has an invalid unless \"#price == null\": '#price == null' refers "
				+ "to #price, which is not a parameter of the method; parameters are [#id] (names need the compiler "
				+ "flag -parameters; #p0/#a0 always work)");
	}

	@Test
	void validPutStartsAndIsReadAtStartup() {
		this.contextRunner.withBean(SharedName.class).withBean(ValidPut.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(CachedOperationSource.class).getPuts())
				.extracting(CachePutOperation::getCacheName)
				.containsExactly("books");
		});
	}

	@Test
	void validAnnotationsStartAndRegisterTheirCaches() {
		this.contextRunner.withBean(SharedName.class).withBean(ValidInvalidate.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(CacheRegistry.class).getCacheNames()).containsExactly("books");
			assertThat(context.getBean(CachedOperationSource.class).getInvalidations())
				.extracting(CacheInvalidateOperation::getCacheName, CacheInvalidateOperation::isAllEntries,
						CacheInvalidateOperation::isBeforeInvocation)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("books", true, true));
		});
	}

	private void assertStartupFailure(Class<?> beanClass, String message) {
		this.contextRunner.withBean(beanClass).run((context) -> assertFailure(context, message));
	}

	private static void assertFailure(AssertableApplicationContext context, String message) {
		assertThat(context).hasFailed();
		assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
			.isInstanceOf(IllegalStateException.class)
			.hasMessage(message);
	}

	static class MalformedKey {

		@Cached(key = "#id +")
		public String find(long id) {
			return "x";
		}

	}

	static class MalformedCondition {

		@Cached(condition = "#id >")
		public String find(long id) {
			return "x";
		}

	}

	static class MalformedUnless {

		@Cached(unless = "#result ==")
		public String find(long id) {
			return "x";
		}

	}

	static class UnknownVariable {

		@Cached(key = "#idd")
		public String find(long id) {
			return "x";
		}

	}

	static class ResultInKey {

		@Cached(key = "#result")
		public String find(long id) {
			return "x";
		}

	}

	static class ResultInCondition {

		@Cached(condition = "#result != null")
		public String find(long id) {
			return "x";
		}

	}

	static class ResultBeforeInvocation {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CacheInvalidate(name = "books", key = "#result", beforeInvocation = true)
		public String evict(long id) {
			return "x";
		}

	}

	static class UnparsableTtl {

		@Cached(ttl = "5 minutes")
		public String find(long id) {
			return "x";
		}

	}

	static class NegativeTtl {

		@Cached(ttl = "-5s")
		public String find(long id) {
			return "x";
		}

	}

	static class MalformedInvalidateCondition {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CacheInvalidate(name = "books", condition = "#id >")
		public void evict(long id) {
		}

	}

	static class ResultInBeforeInvocationCondition {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CacheInvalidate(name = "books", condition = "#result", beforeInvocation = true)
		public String evict(long id) {
			return "x";
		}

	}

	static class UnknownVariableInInvalidateCondition {

		@Cached(name = "books")
		public String find(long id) {
			return "x";
		}

		@CacheInvalidate(name = "books", condition = "#ident > 0")
		public void evict(long id) {
		}

	}

	static class FutureMethod {

		@Cached
		public Future<String> find(long id) {
			return CompletableFuture.completedFuture("x");
		}

	}

	static class OwnFuture extends CompletableFuture<String> {

	}

	static class FutureSubclassMethod {

		@Cached
		public OwnFuture find(long id) {
			return new OwnFuture();
		}

	}

	static class PublisherMethod {

		@Cached
		public Publisher<String> find(long id) {
			return Mono.just("x");
		}

	}

	static class FlowPublisherMethod {

		@Cached
		public Flow.Publisher<String> find(long id) {
			return new SubmissionPublisher<>();
		}

	}

	static class MonoMethod {

		@Cached
		public Mono<String> find(long id) {
			return Mono.just("x");
		}

	}

	static class FluxMethod {

		@Cached
		public Flux<String> find(long id) {
			return Flux.just("x");
		}

	}

	static class CompletableFutureMethod {

		@Cached
		public CompletableFuture<String> find(long id) {
			return CompletableFuture.completedFuture("x");
		}

	}

	static class CompletionStageMethod {

		@Cached
		public CompletionStage<String> find(long id) {
			return CompletableFuture.completedFuture("x");
		}

	}

	static class Overloads {

		@Cached
		public String find(long id) {
			return "x";
		}

		@Cached
		public String find(String id) {
			return "x";
		}

	}

	static class First {

		static class Repo {

			@Cached
			public String find(long id) {
				return "first";
			}

		}

	}

	static class Second {

		static class Repo {

			@Cached
			public String find(long id) {
				return "second";
			}

		}

	}

	static class SharedName {

		@Cached(name = "books", ttl = "10m")
		public String byId(long id) {
			return "byId " + id;
		}

		@Cached(name = "books", ttl = "10m")
		public String byIdAgain(long id) {
			return "byIdAgain " + id;
		}

	}

	static class ConflictingTtls {

		@Cached(name = "books", ttl = "10m")
		public String byId(long id) {
			return "x";
		}

		@Cached(name = "books", ttl = "5m")
		public String byIdAgain(long id) {
			return "x";
		}

	}

	static class ValidInvalidate {

		@CacheInvalidate(name = "books", allEntries = true, beforeInvocation = true)
		public void evict(long id) {
		}

	}

	static class MalformedPutKey {

		@CachePut(name = "books", key = "#id +")
		public String save(long id) {
			return "x";
		}

	}

	static class MalformedPutCondition {

		@CachePut(name = "books", condition = "#result ==")
		public String save(long id) {
			return "x";
		}

	}

	static class UnknownPutVariable {

		@CachePut(name = "books", unless = "#price == null")
		public String save(long id) {
			return "x";
		}

	}

	static class ValidPut {

		@CachePut(name = "books", key = "#id", condition = "#result != null", unless = "#result.isEmpty()")
		public String save(long id) {
			return "x";
		}

	}

	static class TtlTexts {

		@Cached(name = "bare number", ttl = "500")
		public String a(long id) {
			return "x";
		}

		@Cached(name = "micros", ttl = "10us")
		public String b(long id) {
			return "x";
		}

		@Cached(name = "seconds", ttl = "90s")
		public String c(long id) {
			return "x";
		}

		@Cached(name = "upper-case unit", ttl = "5M")
		public String d(long id) {
			return "x";
		}

		@Cached(name = "signed", ttl = "+2h")
		public String e(long id) {
			return "x";
		}

		@Cached(name = "days", ttl = "1d")
		public String f(long id) {
			return "x";
		}

		@Cached(name = "iso", ttl = "PT1H30M")
		public String g(long id) {
			return "x";
		}

		@Cached(name = "iso lower case", ttl = "pt15m")
		public String h(long id) {
			return "x";
		}

		@Cached(name = "iso days", ttl = "P2D")
		public String i(long id) {
			return "x";
		}

	}

	static class WeekTtl {

		@Cached(ttl = "1w")
		public String find(long id) {
			return "x";
		}

	}

}
