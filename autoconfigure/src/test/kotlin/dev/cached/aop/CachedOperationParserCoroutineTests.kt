package dev.cached.aop

import dev.cached.CachedCaches
import dev.cached.Cached
import dev.cached.async.AsyncResultAdapters
import dev.cached.autoconfigure.CachedAutoConfiguration
import dev.cached.engine.CacheRegistry
import dev.cached.engine.CachedCache
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.runBlocking
import org.assertj.core.api.Assertions.assertThat
import org.assertj.core.api.Assertions.assertThatIllegalArgumentException
import org.assertj.core.api.Assertions.assertThatIllegalStateException
import org.junit.jupiter.api.Test
import org.springframework.boot.autoconfigure.AutoConfigurations
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration
import org.springframework.boot.test.context.FilteredClassLoader
import org.springframework.boot.test.context.assertj.AssertableApplicationContext
import org.springframework.boot.test.context.runner.ApplicationContextRunner
import org.springframework.core.NestedExceptionUtils
import reactor.core.publisher.Mono
import java.util.concurrent.atomic.AtomicInteger
import kotlin.coroutines.Continuation

/**
 * How [CachedOperationParser] reads a Kotlin `suspend` function: its key and its
 * expressions see the parameters of the Kotlin signature, never the `Continuation` the
 * compiler adds (the default key, `#id`, `#p0`, `#root.args`), the value type is the
 * function's Kotlin return type, and what stays unsupported (a `Flow`, a function that
 * returns nothing, a future or a publisher returned by a suspend function, a function the
 * proxy cannot intercept, a missing library) fails startup naming the method and saying
 * what to do.
 */
class CachedOperationParserCoroutineTests {

	private val contextRunner = ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration::class.java, CachedAutoConfiguration::class.java))

	@Test
	fun defaultKeyOfAOneParameterFunctionIsTheArgumentWithoutTheContinuation() = run { shelves, context ->
		assertThat(runBlocking { shelves.find(7) }).isEqualTo("shelf 7")
		assertThat(cache(context, "ShelfService.find").peek(7L)).isEqualTo("shelf 7")
		assertThat(runBlocking { shelves.find(7) }).isEqualTo("shelf 7")
		assertThat(shelves.executions.get()).isEqualTo(1)
	}

	@Test
	fun defaultKeyOfSeveralParametersLeavesTheContinuationOut() = run { shelves, context ->
		assertThat(runBlocking { shelves.page("a", 2) }).isEqualTo("shelf a page 2")
		assertThat(cache(context, "ShelfService.page").peek(CachedCaches.key("a", 2))).isEqualTo("shelf a page 2")
		assertThat(runBlocking { shelves.page("a", 2) }).isEqualTo("shelf a page 2")
		assertThat(shelves.executions.get()).isEqualTo(1)
	}

	@Test
	fun keyExpressionByNameAddressesTheEntryOfTheDefaultKey() = run { shelves, context ->
		assertThat(runBlocking { shelves.inLanguage(8, "en") }).isEqualTo("shelf 8 in en")
		assertThat(cache(context, "shelves").peek(8L)).isEqualTo("shelf 8 in en")
		assertThat(runBlocking { shelves.byDefaultKey(8) }).isEqualTo("shelf 8 in en")
		assertThat(runBlocking { shelves.byPosition(8, "fr") }).isEqualTo("shelf 8 in en")
		assertThat(shelves.executions.get()).isEqualTo(1)
	}

	@Test
	fun rootArgsAreTheArgumentsOfTheKotlinSignature() = run { shelves, context ->
		assertThat(runBlocking { shelves.counted(9) }).isEqualTo("shelf 9")
		assertThat(runBlocking { shelves.counted(9) }).isEqualTo("shelf 9")
		assertThat(shelves.executions.get()).isEqualTo(1)
		assertThat(cache(context, "ShelfService.counted").peek(9L)).isEqualTo("shelf 9")
	}

	@Test
	fun valueTypeIsTheKotlinReturnType() = run { _, context ->
		val source = context.getBean(CachedOperationSource::class.java)
		val method = ShelfService::class.java.getMethod("find", Long::class.java, Continuation::class.java)
		val operation = source.getOperation(method, ShelfService::class.java) as CachedOperation
		assertThat(operation.valueType).isEqualTo(String::class.java)
	}

	@Test
	fun staticMethodThatKotlinGeneratesForAnOpenSuspendFunctionIsNoOperation() = run { _, context ->
		val source = context.getBean(CachedOperationSource::class.java)
		val generated = ShelfService::class.java.declaredMethods.single { it.name == "find\$suspendImpl" }
		assertThat(generated.isSynthetic).isTrue()
		assertThat(source.getOperation(generated, ShelfService::class.java)).isNull()
		assertThat(source.getOperation(findMethod(), ShelfService::class.java)).isInstanceOf(CachedOperation::class.java)
	}

	@Test
	fun parameterThatTheKotlinSignatureDoesNotHaveFailsStartup() {
		assertStartupFailure(ContinuationByPosition::class.java, "@Cached on method '$PREFIX"
				+ "ContinuationByPosition.find(long,kotlin.coroutines.Continuation)' has an invalid key \"#p1\": '#p1' "
				+ "refers to #p1, which is not a parameter of the method; parameters are [#id] (names need the "
				+ "compiler flag -parameters; #p0/#a0 always work)")
	}

	@Test
	fun functionReturningFlowFailsStartup() {
		assertStartupFailure(FlowService::class.java, "@Cached on method '${PREFIX}FlowService.prices(long)' "
				+ "returns kotlinx.coroutines.flow.Flow, a stream that cannot be cached; make it a suspend "
				+ "function that returns the collected values (a List), or return a reactor.core.publisher.Flux")
	}

	@Test
	fun functionReturningAKindOfFlowFailsStartupNamingBoth() {
		assertStartupFailure(StateFlowService::class.java, "@Cached on method '${PREFIX}StateFlowService.prices()' "
				+ "returns kotlinx.coroutines.flow.StateFlow (a kotlinx.coroutines.flow.Flow), a stream that "
				+ "cannot be cached; make it a suspend function that returns the collected values (a List), or "
				+ "return a reactor.core.publisher.Flux")
	}

	@Test
	fun suspendFunctionReturningFlowFailsStartup() {
		assertStartupFailure(SuspendFlowService::class.java, "@Cached on method '$PREFIX"
				+ "SuspendFlowService.prices(long,kotlin.coroutines.Continuation)' returns "
				+ "kotlinx.coroutines.flow.Flow, a stream that cannot be cached; make it a suspend function "
				+ "that returns the collected values (a List), or return a reactor.core.publisher.Flux")
	}

	@Test
	fun suspendFunctionReturningUnitFailsStartup() {
		assertStartupFailure(UnitService::class.java, "@Cached on method '$PREFIX"
				+ "UnitService.refresh(long,kotlin.coroutines.Continuation)' is a suspend function that returns "
				+ "Unit, so there is nothing to cache; use @CacheInvalidate to remove entries, or return the value")
	}

	@Test
	fun suspendFunctionReturningAPublisherFailsStartup() {
		assertStartupFailure(MonoService::class.java, "@Cached on method '$PREFIX"
				+ "MonoService.price(long,kotlin.coroutines.Continuation)' is a suspend function that returns "
				+ "reactor.core.publisher.Mono; a suspend function is cached by its value: make it return the value "
				+ "itself")
	}

	@Test
	fun functionThatIsNotOpenFailsStartupSayingHowToOpenIt() {
		assertStartupFailure(ClosedService::class.java, "@Cached on method '$PREFIX"
				+ "ClosedService.find(long,kotlin.coroutines.Continuation)' is final, so the Spring proxy cannot "
				+ "intercept it; make it a public, non-final instance method (in Kotlin: open, or apply the "
				+ "kotlin-spring compiler plugin)")
	}

	@Test
	fun suspendFunctionWithoutKotlinxCoroutinesReactorFailsStartup() {
		val adapters = AsyncResultAdapters.detect(FilteredClassLoader("kotlinx.coroutines.reactor"))
		assertThatIllegalArgumentException()
			.isThrownBy { adapters.forSuspendingFunction(findMethod()) }
			.withMessage("is a Kotlin suspend function, which needs org.jetbrains.kotlinx:kotlinx-coroutines-reactor "
					+ "on the classpath (Spring's proxies call suspend functions through them); add it")
	}

	@Test
	fun suspendFunctionWithoutKotlinReflectFailsStartup() {
		val adapters = AsyncResultAdapters.detect(FilteredClassLoader("kotlin.reflect.full"))
		assertThatIllegalArgumentException()
			.isThrownBy { adapters.forSuspendingFunction(findMethod()) }
			.withMessage("is a Kotlin suspend function, which needs org.jetbrains.kotlin:kotlin-reflect on the "
					+ "classpath (Spring's proxies call suspend functions through them); add it")
	}

	@Test
	fun suspendFunctionOfARemoteCacheIsAccepted() {
		val source = CachedAnnotationValidatorTests.remoteSource(true)
		val operation = source.getOperation(findMethod(), ShelfService::class.java) as CachedOperation
		assertThat(operation.cache.settings.isRemote).isTrue()
		assertThat(operation.valueType).isEqualTo(String::class.java)
	}

	private fun findMethod() = ShelfService::class.java.getMethod("find", Long::class.java, Continuation::class.java)

	private fun run(test: (ShelfService, AssertableApplicationContext) -> Unit) {
		this.contextRunner.withBean(ShelfService::class.java).run { context ->
			assertThat(context).hasNotFailed()
			test(context.getBean(ShelfService::class.java), context)
		}
	}

	private fun cache(context: AssertableApplicationContext, name: String): CachedCache {
		val cache = context.getBean(CacheRegistry::class.java).getCache(name)
		assertThat(cache).`as`("cache %s", name).isNotNull()
		return cache!!
	}

	private fun assertStartupFailure(beanClass: Class<*>, message: String) {
		this.contextRunner.withBean(beanClass).run { context ->
			assertThat(context).hasFailed()
			assertThat(NestedExceptionUtils.getMostSpecificCause(context.startupFailure!!))
				.isInstanceOf(IllegalStateException::class.java)
				.hasMessage(message)
		}
	}

	open class ShelfService {

		open val executions = AtomicInteger()

		@Cached
		open suspend fun find(id: Long): String = executed("shelf $id")

		@Cached
		open suspend fun page(shelf: String, page: Int): String = executed("shelf $shelf page $page")

		@Cached(name = "shelves", key = "#id")
		open suspend fun inLanguage(id: Long, language: String): String = executed("shelf $id in $language")

		@Cached(name = "shelves")
		open suspend fun byDefaultKey(id: Long): String = executed("shelf $id")

		@Cached(name = "shelves", key = "#p0")
		open suspend fun byPosition(id: Long, language: String): String = executed("shelf $id in $language")

		/** Cached only when the expression sees one argument, the id. */
		@Cached(condition = "#root.args.length == 1 && #root.args[0] == #id")
		open suspend fun counted(id: Long): String = executed("shelf $id")

		private fun executed(value: String): String {
			this.executions.incrementAndGet()
			return value
		}

	}

	open class ContinuationByPosition {

		@Cached(key = "#p1")
		open suspend fun find(id: Long): String = "shelf $id"

	}

	open class FlowService {

		@Cached
		open fun prices(id: Long): Flow<String> = flowOf("price $id")

	}

	open class StateFlowService {

		@Cached
		open fun prices(): StateFlow<String>? = null

	}

	open class SuspendFlowService {

		@Cached
		open suspend fun prices(id: Long): Flow<String> = flowOf("price $id")

	}

	open class UnitService {

		@Cached
		open suspend fun refresh(id: Long) {
		}

	}

	open class MonoService {

		@Cached
		open suspend fun price(id: Long): Mono<String> = Mono.just("price $id")

	}

	open class ClosedService {

		@Cached
		suspend fun find(id: Long): String = "shelf $id"

	}

	companion object {

		const val PREFIX = "dev.cached.aop.CachedOperationParserCoroutineTests$"

	}

}
