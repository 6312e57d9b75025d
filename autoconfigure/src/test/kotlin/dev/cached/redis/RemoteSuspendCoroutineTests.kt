package dev.cached.redis

import dev.cached.Cached
import dev.cached.testing.Awaits
import dev.cached.testing.redis.RedisServerExtension
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.RegisterExtension
import org.springframework.boot.SpringBootConfiguration
import org.springframework.boot.autoconfigure.EnableAutoConfiguration
import org.springframework.context.annotation.Bean
import java.nio.charset.StandardCharsets
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

/**
 * A Kotlin `suspend fun` on a remote cache, with two instances on a real `redis-server`:
 * one loads, the other reads the value back from Redis as the function's declared Kotlin
 * return type (the `Continuation`'s type argument, a generic one included), without
 * running the function. The Java return type of a suspend function is `Object`: read as
 * that, the value would come back as maps, not as `Book`s.
 */
class RemoteSuspendCoroutineTests {

	companion object {

		@JvmField
		@RegisterExtension
		val redis = RedisServerExtension()

		private const val A = 0

		private const val B = 1

	}

	@Test
	fun oneInstanceLoadsAndTheOtherReadsItBackAsTheDeclaredType() {
		Instances.start(redis.server(), Application::class.java, 2, "--cached.defaults.remote=true",
				"--cached.defaults.ttl=10m").use { instances ->
			val a = instances.bean(A, Library::class.java)
			val b = instances.bean(B, Library::class.java)
			runBlocking {
				val book = a.find(7)
				assertThat(book).isEqualTo(Book(7, "Book 7"))
				val shelf = a.shelf("poetry")
				assertThat(shelf).containsExactly(Book(1, "poetry 1"), Book(2, "poetry 2"))
				// an asynchronous load writes Redis as its value completes
				Awaits.await().until { redis.server().get(Instances.entry("shelves", "poetry")) != null }
				Awaits.await().until { redis.server().get(Instances.entry("books", 7L)) != null }
				assertThat(String(redis.server().get(Instances.entry("books", 7L))!!, StandardCharsets.UTF_8))
					.isEqualTo("{\"id\":7,\"title\":\"Book 7\"}")

				val read = b.find(7)
				assertThat(read).isEqualTo(book).isInstanceOf(Book::class.java)
				val readShelf = b.shelf("poetry")
				assertThat(readShelf).isEqualTo(shelf).allSatisfy { assertThat(it).isInstanceOf(Book::class.java) }
			}
			assertThat(a.executions("books", 7)).isEqualTo(1)
			assertThat(b.executions("books", 7)).isZero()
			assertThat(b.executions("shelves", "poetry")).isZero()
			assertThat(instances.count(B, "cache.remote.gets", "books", "result", "hit")).isEqualTo(1.0)
			assertThat(instances.count(B, "cache.remote.gets", "shelves", "result", "hit")).isEqualTo(1.0)
			assertThat(instances.count(B, "cache.remote.errors", "books")).isZero()
		}
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	open class Application {

		@Bean
		open fun library() = Library()

	}

	/** A book; a record, which Jackson reads through its canonical constructor. */
	@JvmRecord
	data class Book(val id: Long, val title: String)

	/** Suspend functions on remote caches, counting their executions per key. */
	open class Library {

		private val executions = ConcurrentHashMap<String, AtomicInteger>()

		@Cached(name = "books")
		open suspend fun find(id: Long): Book {
			delay(1)
			executed("books", id)
			return Book(id, "Book $id")
		}

		@Cached(name = "shelves")
		open suspend fun shelf(topic: String): List<Book> {
			delay(1)
			executed("shelves", topic)
			return listOf(Book(1, "$topic 1"), Book(2, "$topic 2"))
		}

		open fun executions(cache: String, key: Any): Int = executions["$cache:$key"]?.get() ?: 0

		private fun executed(cache: String, key: Any) {
			executions.computeIfAbsent("$cache:$key") { AtomicInteger() }.incrementAndGet()
		}

	}

}
