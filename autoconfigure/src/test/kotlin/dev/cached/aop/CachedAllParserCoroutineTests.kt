package dev.cached.aop

import dev.cached.CachedAll
import dev.cached.autoconfigure.CachedAutoConfiguration
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flowOf
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.springframework.boot.autoconfigure.AutoConfigurations
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration
import org.springframework.boot.test.context.runner.ApplicationContextRunner
import org.springframework.core.NestedExceptionUtils
import kotlin.coroutines.Continuation

/**
 * How [CachedAllParser] reads a Kotlin `suspend` function: the `Continuation` the compiler
 * adds is no parameter (not the elements, not `#p1`), the answer is the function's Kotlin
 * return type, and what `@CachedAll` does not take (a `Flow`, a `List` without `valueKey`,
 * a `Map` with one, no `Iterable` parameter, `Unit`) fails startup naming the method.
 */
class CachedAllParserCoroutineTests {

	private val contextRunner = ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration::class.java, CachedAutoConfiguration::class.java))

	@Test
	fun theOnlyIterableParameterIsTheElementsAndTheAnswerIsTheKotlinReturnType() {
		this.contextRunner.withBean(Users::class.java).run { context ->
			assertThat(context).hasNotFailed()
			val source = context.getBean(CachedOperationSource::class.java)
			val map = Users::class.java.getMethod("find", Collection::class.java, Continuation::class.java)
			val mapOperation = source.getOperation(map, Users::class.java) as CachedAllOperation
			assertThat(mapOperation.answersList()).isFalse()
			assertThat(mapOperation.cache.name).isEqualTo("users")
			val list = Users::class.java.getMethod("list", String::class.java, Set::class.java,
					Continuation::class.java)
			val listOperation = source.getOperation(list, Users::class.java) as CachedAllOperation
			assertThat(listOperation.answersList()).isTrue()
		}
	}

	@Test
	fun suspendFunctionReturningFlowFailsStartup() {
		assertStartupFailure(FlowUsers::class.java, "@CachedAll on method '${PREFIX}FlowUsers.find(java.util.Collection,"
				+ "kotlin.coroutines.Continuation)' returns kotlinx.coroutines.flow.Flow, a stream that @CachedAll does "
				+ "not take; make it a suspend function that returns a Map<K, V> by element, or a List<V> with valueKey")
	}

	@Test
	fun functionReturningFlowFailsStartup() {
		assertStartupFailure(PlainFlowUsers::class.java, "@CachedAll on method '${PREFIX}PlainFlowUsers.find("
				+ "java.util.Collection)' returns kotlinx.coroutines.flow.Flow, a stream that @CachedAll does not take; "
				+ "make it a suspend function that returns a Map<K, V> by element, or a List<V> with valueKey")
	}

	@Test
	fun suspendFunctionReturningAListWithoutValueKeyFailsStartupNamingItsKotlinReturnType() {
		assertStartupFailure(ListUsers::class.java, "@CachedAll on method '${PREFIX}ListUsers.find(java.util.List,"
				+ "kotlin.coroutines.Continuation)' returns java.util.List<java.lang.String>, a list of values, but has "
				+ "no valueKey; say which element each value belongs to, e.g. valueKey = \"#value.id\"")
	}

	@Test
	fun suspendFunctionReturningAMapWithValueKeyFailsStartup() {
		assertStartupFailure(MapWithValueKeyUsers::class.java, "@CachedAll on method '${PREFIX}MapWithValueKeyUsers"
				+ ".find(java.util.Collection,kotlin.coroutines.Continuation)' has valueKey \"#value\" but returns "
				+ "java.util.Map<java.lang.Long, java.lang.String>, a Map whose keys are the elements already; "
				+ "remove valueKey")
	}

	@Test
	fun suspendFunctionWithoutAnIterableParameterFailsStartupTheContinuationIsNone() {
		assertStartupFailure(NoIterableUsers::class.java, "@CachedAll on method '${PREFIX}NoIterableUsers.find(long,"
				+ "kotlin.coroutines.Continuation)' has no parameter of type Iterable (a Collection, Set, List or "
				+ "Iterable) to take the elements from; declare one, or name it with elements = \"#ids\"")
	}

	@Test
	fun elementsNamingTheContinuationFailsStartup() {
		assertStartupFailure(ContinuationElementsUsers::class.java, "@CachedAll on method '${PREFIX}"
				+ "ContinuationElementsUsers.find(java.util.Collection,kotlin.coroutines.Continuation)' has an invalid "
				+ "elements \"#p1\": '#p1' refers to #p1, which is not a parameter of the method; parameters are [#ids] "
				+ "(names need the compiler flag -parameters; #p0/#a0 always work)")
	}

	@Test
	fun suspendFunctionReturningUnitFailsStartup() {
		assertStartupFailure(UnitUsers::class.java, "@CachedAll on method '${PREFIX}UnitUsers.find(java.util.Collection,"
				+ "kotlin.coroutines.Continuation)' is a suspend function that returns Unit, so there is nothing to "
				+ "cache; use @CacheInvalidate to remove entries, or return the value")
	}

	private fun assertStartupFailure(beanClass: Class<*>, message: String) {
		this.contextRunner.withBean(beanClass).run { context ->
			assertThat(context).hasFailed()
			assertThat(NestedExceptionUtils.getMostSpecificCause(context.startupFailure!!))
				.isInstanceOf(IllegalStateException::class.java)
				.hasMessage(message)
		}
	}

	open class Users {

		@CachedAll(name = "users")
		open suspend fun find(ids: Collection<Long>): Map<Long, String> = ids.associateWith { "user $it" }

		@CachedAll(name = "users-by-name", key = "#tenant + #element", valueKey = "#value")
		open suspend fun list(tenant: String, names: Set<String>): List<String> = names.toList()

	}

	open class FlowUsers {

		@CachedAll
		open suspend fun find(ids: Collection<Long>): Flow<String> = flowOf("user")

	}

	open class PlainFlowUsers {

		@CachedAll
		open fun find(ids: Collection<Long>): Flow<String> = flowOf("user")

	}

	open class ListUsers {

		@CachedAll
		open suspend fun find(ids: List<Long>): List<String> = ids.map { "user $it" }

	}

	open class MapWithValueKeyUsers {

		@CachedAll(valueKey = "#value")
		open suspend fun find(ids: Collection<Long>): Map<Long, String> = ids.associateWith { "user $it" }

	}

	open class NoIterableUsers {

		@CachedAll
		open suspend fun find(id: Long): Map<Long, String> = mapOf(id to "user $id")

	}

	open class ContinuationElementsUsers {

		@CachedAll(elements = "#p1")
		open suspend fun find(ids: Collection<Long>): Map<Long, String> = ids.associateWith { "user $it" }

	}

	open class UnitUsers {

		@CachedAll
		open suspend fun find(ids: Collection<Long>) {
		}

	}

	companion object {

		const val PREFIX = "dev.cached.aop.CachedAllParserCoroutineTests$"

	}

}
