package dev.cached.aop

import dev.cached.Cached
import dev.cached.CachedAll
import dev.cached.autoconfigure.CachedAutoConfiguration
import dev.cached.engine.CacheRegistry
import dev.cached.engine.CachedCache
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CopyableThrowable
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.springframework.boot.autoconfigure.AutoConfigurations
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration
import org.springframework.boot.test.context.runner.ApplicationContextRunner
import java.util.concurrent.CancellationException
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * `@CachedAll` on Kotlin `suspend` functions through real Spring AOP proxies: every
 * element is its own entry, shared with the one-at-a-time `@Cached` suspend function (the
 * `Continuation` is never part of a key, nor the elements); a bulk call runs the function
 * once, for the elements nobody is loading; a coroutine waiting for an element suspends and
 * blocks no thread; a failure is shared per element and never stored; cancelling a
 * coroutine cancels its own call only (G11 per element).
 *
 * Every coroutine of a test runs on one thread ([run]): had a waiting caller blocked it,
 * the functions (which run on that thread too) could never finish, and the test would end
 * at its timeout instead of passing. Each function waits on [UserService.gate] until the
 * test has seen every caller join (`cache.coalesced`), so the numbers asserted are exact.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CachedAllCoroutineTests {

	private val contextRunner = ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration::class.java, CachedAutoConfiguration::class.java))
		.withBean(UserService::class.java)

	@Test
	fun thousandCoroutinesAskingOverlappingColdIdsRunEachElementOnceOnOneThread() = run { users, cache ->
		// caller i asks ids i, i+1 and i+7 (mod 50): 50 cold ids, 3,000 element gets
		val asked = (0 until 1000).map { i -> listOf(i % 50L, (i + 1) % 50L, (i + 7) % 50L) }
		val callers = asked.map { ids -> async { users.findUsers(ids) } }
		awaitUntil { cache.statistics.coalesced() == 2950L && users.bulk.sumOf { it.size } == 50 }
		users.gate.complete(Unit)
		val answers = callers.awaitAll()
		for ((i, answer) in answers.withIndex()) {
			assertThat(answer.keys).containsExactlyElementsOf(asked[i])
			assertThat(answer.values).containsExactlyElementsOf(asked[i].map { User(it, "user $it") })
		}
		// each element ran exactly once, in one of the executions
		assertThat(users.bulk.flatten()).hasSize(50).doesNotHaveDuplicates()
		assertThat(users.bulk.flatten()).containsExactlyInAnyOrderElementsOf(0L until 50L)
		assertThat(users.singles).isEmpty()
		assertThat(users.threads).containsOnly(THREAD)
		assertThat(cache.statistics.misses()).isEqualTo(50)
		assertThat(cache.statistics.coalesced()).isEqualTo(2950)
		assertThat(cache.statistics.hits()).isEqualTo(2950)
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(users.bulk.size.toLong())
		assertThat(cache.statistics.loadFailures()).isZero()
		assertThat(cache.inFlightKeys()).isZero()
		for (id in 0L until 50L) {
			assertThat(cache.peek(id)).isEqualTo(User(id, "user $id"))
		}
	}

	@Test
	fun aBulkCallJoinsTheRunningLoadOfACachedSuspendCall() = run { users, cache ->
		val single = async { users.findUser(1) }
		awaitUntil { users.singles.size == 1 }
		val bulk = async { users.findUsers(listOf(1L, 2L)) }
		awaitUntil { cache.statistics.coalesced() == 1L && users.bulk.size == 1 }
		users.gate.complete(Unit)
		assertThat(bulk.await()).containsExactly(entry(1), entry(2))
		assertThat(single.await()).isEqualTo(User(1, "user 1"))
		assertThat(users.singles).containsExactly(1L)
		assertThat(users.bulk).containsExactly(listOf(2L))
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(2)
		assertThat(cache.inFlightKeys()).isZero()
	}

	@Test
	fun aCachedSuspendCallJoinsTheRunningElementOfABulkCall() = run { users, cache ->
		val bulk = async { users.findUsers(listOf(1L, 2L)) }
		awaitUntil { users.bulk.size == 1 }
		val one = async { users.findUser(1) }
		val two = async { users.findUser(2) }
		awaitUntil { cache.statistics.coalesced() == 2L }
		users.gate.complete(Unit)
		assertThat(one.await()).isEqualTo(User(1, "user 1"))
		assertThat(two.await()).isEqualTo(User(2, "user 2"))
		assertThat(bulk.await()).containsExactly(entry(1), entry(2))
		assertThat(users.singles).isEmpty()
		assertThat(users.bulk).containsExactly(listOf(1L, 2L))
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(1)
	}

	@Test
	fun aFailureIsTheSameInstanceForEveryCallerOfEveryElementAndNothingIsStored() = run { users, cache ->
		val failure = LoadFailed("no user 1")
		users.failing[1L] = failure
		val bulk = async { runCatching { users.findUsers(listOf(1L, 2L)) }.exceptionOrNull() }
		awaitUntil { users.bulk.size == 1 }
		val single = async { runCatching { users.findUser(1) }.exceptionOrNull() }
		val other = async { runCatching { users.findUsers(listOf(2L, 3L)) }.exceptionOrNull() }
		awaitUntil { cache.statistics.coalesced() == 2L && users.bulk.size == 2 }
		users.gate.complete(Unit)
		assertThat(bulk.await()).isSameAs(failure)
		assertThat(single.await()).isSameAs(failure)
		assertThat(other.await()).isSameAs(failure)
		assertThat(cache.peek(1L)).isNull()
		assertThat(cache.peek(2L)).isNull()
		assertThat(cache.peek(3L)).isEqualTo(User(3, "user 3"))
		assertThat(cache.inFlightKeys()).isZero()
		assertThat(users.bulk).containsExactlyInAnyOrder(listOf(1L, 2L), listOf(3L))
		assertThat(users.singles).isEmpty()
		assertThat(cache.statistics.loadFailures()).isEqualTo(1)
		// the next call runs the function again, for the elements that are not stored
		users.failing.clear()
		assertThat(users.findUsers(listOf(1L, 2L, 3L))).hasSize(3)
		assertThat(users.bulk).hasSize(3).last().isEqualTo(listOf(1L, 2L))
	}

	@Test
	fun cancelledOwnerEndsItsRunAndEachElementIsTakenOverByOneOfItsJoinedCallers() = run { users, cache ->
		val owner = launch(CoroutineName("owner")) { users.findUsers(listOf(1L, 2L)) }
		awaitUntil { users.bulk.size == 1 }
		val bulk = async(CoroutineName("bulk")) { users.findUsers(listOf(2L, 3L)) }
		val single = async(CoroutineName("single")) { users.findUser(1) }
		awaitUntil { cache.statistics.coalesced() == 2L && users.bulk.size == 2 }
		owner.cancel()
		// 2 is taken over by the bulk caller, 1 by the single one: one run each
		awaitUntil { users.bulk.size == 3 && users.singles.size == 1 && users.cancelledRuns.get() == 1 }
		users.gate.complete(Unit)
		assertThat(bulk.await()).containsExactly(entry(2), entry(3))
		assertThat(single.await()).isEqualTo(User(1, "user 1"))
		owner.join()
		assertThat(owner.isCancelled).isTrue()
		assertThat(users.bulk).containsExactly(listOf(1L, 2L), listOf(3L), listOf(2L))
		assertThat(users.bulkNames).containsExactly("owner", "bulk", "bulk")
		assertThat(users.singles).containsExactly(1L)
		assertThat(users.cancelledRuns.get()).isEqualTo(1)
		// the cancelled run is a failed load, each takeover a load of its own
		assertThat(cache.statistics.loadFailures()).isEqualTo(1)
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(3)
		for (id in 1L..3L) {
			assertThat(cache.peek(id)).isEqualTo(User(id, "user $id"))
		}
		assertThat(cache.inFlightKeys()).isZero()
	}

	@Test
	fun cancelledJoinedCallerCancelsItsOwnRunOnlyAndNotTheLoadItJoined() = run { users, cache ->
		val owner = async { users.findUsers(listOf(5L, 6L)) }
		awaitUntil { users.bulk.size == 1 }
		val joiner = launch { users.findUsers(listOf(6L, 7L)) }
		awaitUntil { cache.statistics.coalesced() == 1L && users.bulk.size == 2 }
		joiner.cancel()
		joiner.join()
		// the joiner's own run, for 7, ends with it
		awaitUntil { users.cancelledRuns.get() == 1 }
		users.gate.complete(Unit)
		assertThat(owner.await()).containsExactly(entry(5), entry(6))
		assertThat(users.bulk).containsExactly(listOf(5L, 6L), listOf(7L))
		assertThat(cache.peek(6L)).isEqualTo(User(6, "user 6"))
		assertThat(cache.peek(7L)).isNull()
		assertThat(cache.inFlightKeys()).isZero()
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(1)
		assertThat(cache.statistics.loadFailures()).isEqualTo(1)
	}

	@Test
	fun onlyTheMissingElementsArePassedToTheFunctionWithoutDuplicatesInTheCallersOrder() = run { users, cache ->
		users.gate.complete(Unit)
		assertThat(users.findUser(1)).isEqualTo(User(1, "user 1"))
		assertThat(users.findUsers(listOf(3L))).containsExactly(entry(3))
		val answer = users.findUsers(listOf(4L, 1L, 2L, 3L, 2L, 4L))
		assertThat(answer.keys).containsExactly(4L, 1L, 2L, 3L)
		assertThat(users.bulk).containsExactly(listOf(3L), listOf(4L, 2L))
		assertThat(users.passed.last()).isInstanceOf(ArrayList::class.java)
		// a Set parameter is given a LinkedHashSet; nothing is missing: the function does not run
		assertThat(users.findUserSet(linkedSetOf(5L, 1L))).containsExactly(entry(5), entry(1))
		assertThat(users.passed.last()).isInstanceOf(LinkedHashSet::class.java).isEqualTo(setOf(5L))
		assertThat(users.findUsers(listOf(1L, 2L, 3L, 4L, 5L))).hasSize(5)
		assertThat(users.bulk).hasSize(3)
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(4)
	}

	@Test
	fun aListOfValuesWithValueKeyIsCachedPerElement() = run { users, cache ->
		users.gate.complete(Unit)
		assertThat(users.findAllById(listOf(8L, 9L))).containsExactly(User(8, "user 8"), User(9, "user 9"))
		assertThat(cache.peek(8L)).isEqualTo(User(8, "user 8"))
		assertThat(users.findAllById(listOf(9L, 10L, 8L)))
			.containsExactly(User(9, "user 9"), User(10, "user 10"), User(8, "user 8"))
		assertThat(users.bulk).containsExactly(listOf(8L, 9L), listOf(10L))
		// the function leaves 404 out of its answer: no value, not in the list
		assertThat(users.findAllById(listOf(404L, 8L))).containsExactly(User(8, "user 8"))
		assertThat(users.findUser(9)).isEqualTo(User(9, "user 9"))
		assertThat(users.singles).isEmpty()
	}

	@Test
	fun theKeyOfAnElementIsTheElementSoBulkAndSingleSuspendFunctionsShareEntries() = run { users, cache ->
		users.gate.complete(Unit)
		assertThat(users.findUsers(listOf(1L, 2L))).containsExactly(entry(1), entry(2))
		// the key is the id itself, never a key made with the Continuation
		assertThat(cache.peek(1L)).isEqualTo(User(1, "user 1"))
		assertThat(cache.estimatedSize()).isEqualTo(2)
		assertThat(users.findUser(1)).isEqualTo(User(1, "user 1"))
		assertThat(users.findUser(5)).isEqualTo(User(5, "user 5"))
		assertThat(users.findUsers(listOf(5L, 2L))).containsExactly(entry(5), entry(2))
		assertThat(users.singles).containsExactly(5L)
		assertThat(users.bulk).containsExactly(listOf(1L, 2L))
		// a key expression with another argument of the Kotlin signature and #element
		assertThat(users.inTenant("acme", listOf(1L, 2L))).containsExactly(entry(1), entry(2))
		assertThat(cache(users, "tenants").peek("acme:1")).isEqualTo(User(1, "user 1"))
		assertThat(users.inTenant("acme", listOf(2L))).containsExactly(entry(2))
		assertThat(users.bulk).containsExactly(listOf(1L, 2L), listOf(1L, 2L))
	}

	private fun entry(id: Long): Map.Entry<Long, User> = java.util.AbstractMap.SimpleEntry(id, User(id, "user $id"))

	private lateinit var registry: CacheRegistry

	private fun cache(@Suppress("UNUSED_PARAMETER") users: UserService, name: String): CachedCache =
		this.registry.getCache(name)!!

	private fun run(test: suspend CoroutineScope.(UserService, CachedCache) -> Unit) {
		this.contextRunner.run { context ->
			assertThat(context).hasNotFailed()
			val users = context.getBean(UserService::class.java)
			this.registry = context.getBean(CacheRegistry::class.java)
			val cache = this.registry.getCache("users")!!
			Executors.newSingleThreadExecutor { Thread(it, THREAD) }.asCoroutineDispatcher().use { dispatcher ->
				kotlinx.coroutines.runBlocking(dispatcher) { test(users, cache) }
			}
		}
	}

	/** Awaits' counterpart for a coroutine: polls without blocking its thread. */
	private suspend fun awaitUntil(condition: () -> Boolean) {
		withTimeout(20_000) {
			while (!condition()) {
				delay(2)
			}
		}
	}

	/** A failure that kotlinx.coroutines does not copy on its way to a caller (stack-trace recovery). */
	@OptIn(ExperimentalCoroutinesApi::class)
	class LoadFailed(message: String) : RuntimeException(message), CopyableThrowable<LoadFailed> {

		override fun createCopy(): LoadFailed? = null

	}

	data class User(val id: Long, val name: String)

	/**
	 * Users one and many at a time, in one cache. Every run records what it was given,
	 * then waits on [gate]; a run given an id of [failing] throws that failure.
	 */
	open class UserService {

		/** The elements each bulk run was given, in its order. */
		open val bulk: MutableList<List<Long>> = CopyOnWriteArrayList()

		/** The collection each bulk run was given. */
		open val passed: MutableList<Iterable<Long>> = CopyOnWriteArrayList()

		/** The CoroutineName of each bulk run. */
		open val bulkNames: MutableList<String?> = CopyOnWriteArrayList()

		open val singles: MutableList<Long> = CopyOnWriteArrayList()

		open val threads: MutableList<String> = CopyOnWriteArrayList()

		open val cancelledRuns = AtomicInteger()

		open val failing: MutableMap<Long, LoadFailed> = java.util.concurrent.ConcurrentHashMap()

		@Volatile
		open var gate = CompletableDeferred<Unit>()

		@Cached(name = "users")
		open suspend fun findUser(id: Long): User {
			this.singles.add(id)
			return run(listOf(id)).getValue(id)
		}

		@CachedAll(name = "users")
		open suspend fun findUsers(ids: Collection<Long>): Map<Long, User> = bulkRun(ids)

		@CachedAll(name = "users")
		open suspend fun findUserSet(ids: Set<Long>): Map<Long, User> = bulkRun(ids)

		@CachedAll(name = "users", valueKey = "#value.id")
		open suspend fun findAllById(ids: List<Long>): List<User> = bulkRun(ids).values.toList()

		@CachedAll(name = "tenants", key = "#tenant + ':' + #element")
		open suspend fun inTenant(tenant: String, ids: Collection<Long>): Map<Long, User> = bulkRun(ids)

		private suspend fun bulkRun(ids: Iterable<Long>): Map<Long, User> {
			this.bulk.add(ids.toList())
			this.passed.add(ids)
			this.bulkNames.add(currentCoroutineContext()[CoroutineName]?.name)
			return run(ids)
		}

		private suspend fun run(ids: Iterable<Long>): Map<Long, User> {
			this.threads.add(Thread.currentThread().name.substringBefore(" @"))
			try {
				this.gate.await()
			}
			catch (ex: CancellationException) {
				this.cancelledRuns.incrementAndGet()
				throw ex
			}
			for (id in ids) {
				this.failing[id]?.let { throw it }
			}
			return ids.filter { it != 404L }.associateWith { User(it, "user $it") }
		}

	}

	companion object {

		const val THREAD = "coroutines"

	}

}
