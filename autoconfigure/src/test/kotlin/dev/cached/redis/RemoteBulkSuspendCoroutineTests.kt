package dev.cached.redis

import dev.cached.Cached
import dev.cached.CachedAll
import dev.cached.testing.Awaits
import dev.cached.testing.redis.RedisServerExtension
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.extension.RegisterExtension
import org.springframework.boot.SpringBootConfiguration
import org.springframework.boot.autoconfigure.EnableAutoConfiguration
import org.springframework.context.annotation.Bean
import java.nio.charset.StandardCharsets
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * A Kotlin `suspend fun` with `@CachedAll` on a remote cache, with two instances on a real
 * `redis-server`: one instance's bulk call writes each element's value to Redis under the
 * key the `@Cached` suspend function uses; the other reads them back as the element type
 * (`V` of the Kotlin `Map<K, V>` the function returns, not the `Object` of its Java
 * signature) without running anything; and an element whose lease another instance holds
 * is waited for, not loaded again, while the waiting coroutine suspends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RemoteBulkSuspendCoroutineTests {

	companion object {

		@JvmField
		@RegisterExtension
		val redis = RedisServerExtension()

		private const val A = 0

		private const val B = 1

	}

	@Test
	fun oneInstanceLoadsEachElementAndTheOtherReadsThemBackAsTheElementType() {
		Instances.start(redis.server(), Application::class.java, 2, "--cached.defaults.remote=true",
				"--cached.defaults.ttl=10m").use { instances ->
			val a = instances.bean(A, Users::class.java)
			val b = instances.bean(B, Users::class.java)
			a.gate.complete(Unit)
			b.gate.complete(Unit)
			runBlocking {
				assertThat(a.findUsers(listOf(1L, 2L))).containsExactlyEntriesOf(mapOf(1L to user(1), 2L to user(2)))
				Awaits.await().until { redis.server().get(Instances.entry("users", 1L)) != null }
				Awaits.await().until { redis.server().get(Instances.entry("users", 2L)) != null }
				assertThat(String(redis.server().get(Instances.entry("users", 2L))!!, StandardCharsets.UTF_8))
					.isEqualTo("{\"id\":2,\"name\":\"user 2\"}")

				val read = b.findUsers(listOf(2L, 1L))
				assertThat(read).containsExactlyEntriesOf(mapOf(2L to user(2), 1L to user(1)))
				assertThat(read.values).allSatisfy { assertThat(it).isInstanceOf(User::class.java) }
				// answered from its local store now
				assertThat(b.findAllById(listOf(1L, 2L))).containsExactly(user(1), user(2))
					.allSatisfy { assertThat(it).isInstanceOf(User::class.java) }
				assertThat(b.findUser(1)).isEqualTo(user(1)).isInstanceOf(User::class.java)
			}
			assertThat(a.executions(1)).isEqualTo(1)
			assertThat(a.executions(2)).isEqualTo(1)
			assertThat(b.executed()).isZero()
			assertThat(instances.count(B, "cache.remote.gets", "users", "result", "hit")).isEqualTo(2.0)
			assertThat(instances.count(B, "cache.remote.errors", "users")).isZero()
		}
	}

	@Test
	fun anElementAnotherInstanceIsLoadingIsWaitedForNotLoadedAgain() {
		Instances.start(redis.server(), Application::class.java, 2, "--cached.defaults.remote=true",
				"--cached.defaults.ttl=10m").use { instances ->
			val a = instances.bean(A, Users::class.java)
			val b = instances.bean(B, Users::class.java)
			b.gate.complete(Unit)
			runBlocking {
				val first = async { a.findUsers(listOf(11L, 12L, 13L)) }
				// A runs for its elements and holds their leases
				suspendUntil { a.executed() == 3 }
				for (id in 11L..13L) {
					assertThat(redis.server().keys(Instances.lease(redis.server(), "users", id))).hasSize(1)
				}
				val second = async { b.findUsers(listOf(12L, 13L, 14L)) }
				suspendUntil { b.executions(14) == 1 }
				a.gate.complete(Unit)
				assertThat(first.await()).containsOnlyKeys(11L, 12L, 13L)
				assertThat(second.await()).containsExactlyEntriesOf(mapOf(12L to user(12), 13L to user(13),
						14L to user(14)))
			}
			assertThat(a.executed()).isEqualTo(3)
			assertThat(b.executed()).isEqualTo(1)
			assertThat(b.executions(14)).isEqualTo(1)
		}
	}

	private fun user(id: Long) = User(id, "user $id")

	/** Awaits' counterpart for a coroutine: polls without blocking its thread. */
	private suspend fun suspendUntil(condition: () -> Boolean) {
		withTimeout(20_000) {
			while (!condition()) {
				delay(5)
			}
		}
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	open class Application {

		@Bean
		open fun users() = Users()

	}

	/** A user; a record, which Jackson reads through its canonical constructor. */
	@JvmRecord
	data class User(val id: Long, val name: String)

	/** Users one and many at a time in one remote cache, counting executions per element. */
	open class Users {

		private val executions = ConcurrentHashMap<Long, AtomicInteger>()

		@Volatile
		open var gate = CompletableDeferred<Unit>()

		@Cached(name = "users")
		open suspend fun findUser(id: Long): User = run(listOf(id)).getValue(id)

		@CachedAll(name = "users")
		open suspend fun findUsers(ids: Collection<Long>): Map<Long, User> = run(ids)

		@CachedAll(name = "users", valueKey = "#value.id")
		open suspend fun findAllById(ids: List<Long>): List<User> = run(ids).values.toList()

		open fun executions(id: Long): Int = executions[id]?.get() ?: 0

		open fun executed(): Int = executions.values.sumOf { it.get() }

		private suspend fun run(ids: Iterable<Long>): Map<Long, User> {
			for (id in ids) {
				executions.computeIfAbsent(id) { AtomicInteger() }.incrementAndGet()
			}
			this.gate.await()
			return ids.associateWith { User(it, "user $it") }
		}

	}

}
