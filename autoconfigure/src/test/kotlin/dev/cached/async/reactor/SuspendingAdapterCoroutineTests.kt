package dev.cached.async.reactor

import dev.cached.Cached
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
import kotlinx.coroutines.reactor.ReactorContext
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.springframework.boot.autoconfigure.AutoConfigurations
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration
import org.springframework.boot.test.context.assertj.AssertableApplicationContext
import org.springframework.boot.test.context.runner.ApplicationContextRunner
import reactor.util.context.Context
import java.util.concurrent.CancellationException
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * `@Cached` Kotlin `suspend` functions through real Spring AOP proxies: the value is
 * cached, never a `Continuation`; a coroutine that waits for a load suspends and blocks
 * no thread; a failure is shared and never stored; cancelling a coroutine cancels its own
 * call only (G11: the owner's cancellation ends its run, and a joined caller takes the load
 * over).
 *
 * Every coroutine of a test runs on one thread ([run]): had a waiting caller blocked it,
 * the function (which runs on that thread too) could never finish, and the test would end
 * at its timeout instead of passing. The service's properties are `open`, so that reading
 * them through the proxy reaches the bean (what the kotlin-spring compiler plugin does).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SuspendingAdapterCoroutineTests {

	private val contextRunner = ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration::class.java, CachedAutoConfiguration::class.java))
		.withBean(BookService::class.java)

	@Test
	fun thousandCoroutinesOnOneColdKeyRunTheFunctionOnceOnOneThreadWithoutBlockingIt() = run { books, cache ->
		val callers = (1..1000).map { async { books.find(1) } }
		// the owner's function starts on the test's one thread, possibly after the joiners
		awaitUntil { cache.statistics.coalesced() == 999L && books.executions.get() == 1 }
		books.gate.complete("ready")
		assertThat(callers.awaitAll()).hasSize(1000).containsOnly("book 1 ready")
		assertThat(books.executions.get()).isEqualTo(1)
		assertThat(books.threads).containsExactly(THREAD)
		assertThat(cache.peek(1L)).isEqualTo("book 1 ready")
		assertThat(cache.statistics.misses()).isEqualTo(1)
		assertThat(cache.statistics.hits()).isEqualTo(999)
		assertThat(books.find(1)).isEqualTo("book 1 ready")
		assertThat(books.executions.get()).isEqualTo(1)
	}

	@Test
	fun failureIsTheSameInstanceForEveryCallerAndIsNotStored() = run { books, cache ->
		val callers = (1..10).map { async { runCatching { books.failing(2) }.exceptionOrNull() } }
		awaitUntil { cache("BookService.failing").statistics.coalesced() == 9L }
		val failure = LoadFailed("no book 2")
		books.failure.complete(failure)
		assertThat(callers.awaitAll()).hasSize(10).allSatisfy { assertThat(it).isSameAs(failure) }
		assertThat(books.executions.get()).isEqualTo(1)
		assertThat(cache("BookService.failing").peek(2L)).isNull()
		books.failure = CompletableDeferred(LoadFailed("still no book 2"))
		assertThat(runCatching { books.failing(2) }.exceptionOrNull()).hasMessage("still no book 2")
		assertThat(books.executions.get()).isEqualTo(2)
	}

	@Test
	fun cancelledOwnerEndsItsRunAndAJoinedCallerTakesTheLoadOver() = run { books, cache ->
		val owner = launch(CoroutineName("owner")) { books.find(3) }
		awaitUntil { books.executions.get() == 1 }
		val joiner = async(CoroutineName("joiner")) { books.find(3) }
		awaitUntil { cache.statistics.coalesced() == 1L }
		owner.cancel()
		awaitUntil { books.executions.get() == 2 }
		assertThat(books.cancelledRuns.get()).isEqualTo(1)
		assertThat(books.names).containsExactly("owner", "joiner")
		books.gate.complete("ready")
		assertThat(joiner.await()).isEqualTo("book 3 ready")
		assertThat(owner.isCancelled).isTrue()
		assertThat(cache.peek(3L)).isEqualTo("book 3 ready")
		assertThat(cache.statistics.loadSuccesses()).isEqualTo(1)
		assertThat(cache.statistics.loadFailures()).isEqualTo(1)
	}

	@Test
	fun cancelledJoinedCallerDoesNotCancelTheLoad() = run { books, cache ->
		val owner = async { books.find(4) }
		awaitUntil { books.executions.get() == 1 }
		val joiner = launch { books.find(4) }
		awaitUntil { cache.statistics.coalesced() == 1L }
		joiner.cancel()
		joiner.join()
		books.gate.complete("ready")
		assertThat(owner.await()).isEqualTo("book 4 ready")
		assertThat(books.executions.get()).isEqualTo(1)
		assertThat(books.cancelledRuns.get()).isZero()
		assertThat(cache.peek(4L)).isEqualTo("book 4 ready")
	}

	@Test
	fun functionRunsInTheCoroutineContextOfTheCallerThatStartedTheLoad() = run { books, cache ->
		val owner = async(CoroutineName("owner") + ReactorContext(Context.of("tenant", "a"))) { books.find(5) }
		awaitUntil { books.executions.get() == 1 }
		val joiner = async(CoroutineName("joiner") + ReactorContext(Context.of("tenant", "b"))) { books.find(5) }
		awaitUntil { cache.statistics.coalesced() == 1L }
		books.gate.complete("ready")
		assertThat(owner.await()).isEqualTo("book 5 ready")
		assertThat(joiner.await()).isEqualTo("book 5 ready")
		assertThat(books.names).containsExactly("owner")
		assertThat(books.tenants).containsExactly("a")
	}

	private fun run(test: suspend CoroutineScope.(BookService, CachedCache) -> Unit) {
		this.contextRunner.run { context ->
			assertThat(context).hasNotFailed()
			val books = context.getBean(BookService::class.java)
			val cache = cache(context, "BookService.find")
			this.context = context
			Executors.newSingleThreadExecutor { Thread(it, THREAD) }.asCoroutineDispatcher().use { dispatcher ->
				runBlocking(dispatcher) { test(books, cache) }
			}
		}
	}

	private lateinit var context: AssertableApplicationContext

	private fun cache(name: String): CachedCache = cache(this.context, name)

	private fun cache(context: AssertableApplicationContext, name: String): CachedCache {
		val cache = context.getBean(CacheRegistry::class.java).getCache(name)
		assertThat(cache).`as`("cache %s", name).isNotNull()
		return cache!!
	}

	/** Awaits' counterpart for a coroutine: polls without blocking its thread. */
	private suspend fun awaitUntil(condition: () -> Boolean) {
		withTimeout(10_000) {
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

	open class BookService {

		open val executions = AtomicInteger()

		open val cancelledRuns = AtomicInteger()

		open val threads: MutableList<String> = CopyOnWriteArrayList()

		/** The CoroutineName each run saw. */
		open val names: MutableList<String?> = CopyOnWriteArrayList()

		/** The tenant each run saw in its Reactor Context. */
		open val tenants: MutableList<String> = CopyOnWriteArrayList()

		@Volatile
		open var gate = CompletableDeferred<String>()

		@Volatile
		open var failure = CompletableDeferred<LoadFailed>()

		@Cached
		open suspend fun find(id: Long): String {
			record()
			try {
				return "book $id ${this.gate.await()}"
			}
			catch (ex: CancellationException) {
				this.cancelledRuns.incrementAndGet()
				throw ex
			}
		}

		@Cached
		open suspend fun failing(id: Long): String {
			record()
			throw this.failure.await()
		}

		private suspend fun record() {
			this.executions.incrementAndGet()
			// the thread's own name, without the coroutine's that kotlinx.coroutines adds in debug mode
			this.threads.add(Thread.currentThread().name.substringBefore(" @"))
			val context = currentCoroutineContext()
			this.names.add(context[CoroutineName]?.name)
			this.tenants.add(context[ReactorContext]?.context?.getOrDefault("tenant", "<none>") ?: "<none>")
		}

	}

	companion object {

		const val THREAD = "coroutines"

	}

}
