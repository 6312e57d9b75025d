package dev.cached.async;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.CachedCaches;
import dev.cached.key.StableKeys;
import dev.cached.redis.RedisKeyLayout;
import dev.cached.testing.BlockingCalls;
import dev.cached.testing.BlockingCalls.ThreadKind;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * No asynchronous load blocks a thread that must not block: not the caller's (a WebFlux
 * handler subscribes on a Netty event loop), not the thread that completes the method's
 * {@code Mono}, {@code Flux} or {@code CompletableFuture} (Reactor's {@code parallel}
 * scheduler, a Netty event loop), and, for a remote cache, no thread at all waits for a
 * Redis reply: the read before the load, the write after it and the lease release after a
 * failure are asynchronous too (the contract's "Asynchronous results": "BlockHound finds
 * no blocking call, local or remote").
 * <p>
 * The race this guards against: a remote cache's load that completed on a {@code parallel}
 * thread wrote its value to Redis, or released its lease after a failure, with a blocking
 * {@code CompletableFuture.get} on that very thread ({@code RedisTier.call}): a WebFlux
 * application saw it in 11 of 20 cold loads under BlockHound, the thread stalled for as
 * long as Redis was frozen, and with BlockHound throwing the loads answered HTTP 500.
 * Without Redis the same application ran 1,000 concurrent requests without a blocking call.
 * <p>
 * BlockHound is installed once for this JVM ({@link BlockingCalls}), recording every
 * blocking call on a non-blocking thread, and every blocking call of the starter's code on
 * the threads of CompletableFuture's default executor, where the starter may move a step
 * of a load. Every caller calls from a non-blocking thread, and every method's value
 * completes on one: each test checks that the threads its values completed on are threads
 * BlockHound watches. Loads are held on a gate until every caller of their key has joined,
 * so that each round has exactly one load per key, completed on the method's own thread.
 * These tests run in a JVM of their own (tag {@code blockhound}, the surefire execution of
 * that name).
 */
@Tag("blockhound")
class NonBlockingAsyncLoadTests {

	private static final int KEYS = 50;

	/** Callers per key: 1,000 calls a round. */
	private static final int CALLERS = 20;

	/** What a method whose value completes on Reactor's parallel scheduler runs on. */
	private static final Executor PARALLEL = (task) -> Schedulers.parallel().schedule(task);

	private static final AtomicInteger rounds = new AtomicInteger();

	/** A Netty event loop, as a WebFlux server or a Netty-based client has. */
	static EventLoopGroup eventLoop;

	@BeforeAll
	static void installBlockHound() {
		BlockingCalls.install();
		eventLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
	}

	@AfterAll
	static void stopEventLoop() {
		if (eventLoop != null) {
			eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	@BeforeEach
	void forgetEarlierCalls() {
		BlockingCalls.throwing(false);
		BlockingCalls.clear();
		Loads.completingThreads.clear();
	}

	@AfterEach
	void openGates() {
		BlockingCalls.throwing(false);
		Loads.openAll();
	}

	/**
	 * The threads these tests complete loads on are threads BlockHound watches: a blocking
	 * call there is recorded (so that the tests below can fail).
	 */
	@Test
	void aBlockingCallOnTheThreadsLoadsCompleteOnIsRecorded() {
		CompletableFuture.runAsync(NonBlockingAsyncLoadTests::park, PARALLEL).join();
		CompletableFuture.runAsync(NonBlockingAsyncLoadTests::park, eventLoop).join();
		List<BlockingCalls.Call> found = BlockingCalls.recorded();
		assertThat(found).hasSize(2).allSatisfy((call) -> {
			assertThat(call.kind()).isEqualTo(ThreadKind.NON_BLOCKING);
			assertThat(call.method()).isEqualTo("jdk.internal.misc.Unsafe#park");
		});
		assertThat(found.get(0).thread()).startsWith("parallel-");
		assertThat(found.get(1).frames())
			.anySatisfy((frame) -> assertThat(frame.getClassName()).startsWith("io.netty.util.concurrent."));
	}

	/** Park the calling thread briefly: a blocking call that BlockHound knows. */
	static void park() {
		LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
	}

	/**
	 * Caches without Redis: cold loads, joins, shared failures and wait timeouts.
	 */
	@Nested
	@TestInstance(Lifecycle.PER_CLASS)
	class LocalCaches {

		private ConfigurableApplicationContext context;

		@BeforeAll
		void start() {
			this.context = application();
		}

		@AfterAll
		void stop() {
			if (this.context != null) {
				this.context.close();
			}
		}

		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void coldKeysCalledConcurrentlyLoadOnceEachWithoutABlockingCall(Shape shape) {
			coldKeysLoadOnceEach(this.context, shape, null);
		}

		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void aFailureIsSharedByItsCallersAndNeverStoredWithoutABlockingCall(Shape shape) {
			failuresAreSharedAndNeverStored(this.context, shape, null);
		}

		/**
		 * G7 for asynchronous callers: each joined caller whose wait timed out runs the
		 * method itself; its value is its own and is not stored; the owner's is.
		 */
		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void joinedCallersWhoseWaitTimesOutRunTheMethodThemselvesWithoutABlockingCall(Shape shape) {
			Loads loads = this.context.getBean(Loads.class);
			String name = shape.cache(Variant.IMPATIENT);
			CachedCaches.Cache cache = caches(this.context).getCache(name);
			List<String> keys = keys();
			Loads.close(name, keys);
			Round round = Round.start(loads, shape, Variant.IMPATIENT, keys, CALLERS);
			// the owner of each key is held; every other caller has timed out and run the method
			await().until(() -> keys.stream().allMatch((key) -> loads.executions(name, key) == CALLERS));
			Loads.open(name, keys);
			Map<String, List<Object>> outcomes = round.outcomes();
			assertNoCallerFailed(outcomes);
			for (String key : keys) {
				List<Object> expected = new ArrayList<>();
				for (int execution = 1; execution <= CALLERS; execution++) {
					expected.add(shape.outcome(key + "#" + execution));
				}
				assertThat(outcomes.get(key)).as(key).containsExactlyInAnyOrderElementsOf(expected);
				assertThat(cache.get(key)).as(key).isEqualTo(shape.stored(key + "#1"));
			}
			assertCompletedOn(shape);
			assertNoBlockingCall();
		}

		/**
		 * The recorder watches CompletableFuture's default executor for the starter's own
		 * blocking calls, not for the pool's idle waits nor for others' tasks.
		 */
		@Test
		void aBlockingCallOfTheStarterOnTheDefaultExecutorIsRecordedButNotThePoolsOwnWaits() {
			Loads loads = this.context.getBean(Loads.class);
			CompletableFuture.runAsync(NonBlockingAsyncLoadTests::park).join();
			assertThat(BlockingCalls.recorded()).isEmpty();
			CompletableFuture.runAsync(() -> loads.blocking("parked")).join();
			assertThat(BlockingCalls.recorded()).singleElement().satisfies((call) -> {
				assertThat(call.kind()).isEqualTo(ThreadKind.ASYNC_POOL);
				assertThat(call.thread()).startsWith("ForkJoinPool.commonPool-worker-");
				assertThat(call.starter()).isNotNull();
				assertThat(call.starter().getClassName()).startsWith("dev.cached.");
			});
		}

	}

	/**
	 * A remote cache on a real Redis: cold loads read Redis, take a lease, load, write
	 * Redis and release the lease; a failed load releases its lease; a value found in Redis
	 * is answered without loading. None of it blocks.
	 */
	@Nested
	@TestInstance(Lifecycle.PER_CLASS)
	class RemoteCaches {

		private RedisServer redis;

		private ConfigurableApplicationContext context;

		@BeforeAll
		void start() {
			this.redis = RedisServer.start();
			// generous: a loaded machine must not look like a Redis outage
			this.context = remoteApplication(this.redis, "5s");
		}

		@AfterAll
		void stop() {
			if (this.context != null) {
				this.context.close();
			}
			if (this.redis != null) {
				this.redis.close();
			}
		}

		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void coldKeysCalledConcurrentlyLoadOnceEachAndReadAndWriteRedisWithoutABlockingCall(Shape shape) {
			coldKeysLoadOnceEach(this.context, shape, this.redis);
		}

		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void aFailureIsSharedAndItsLeaseReleasedWithoutABlockingCall(Shape shape) {
			failuresAreSharedAndNeverStored(this.context, shape, this.redis);
		}

		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void valuesFoundInRedisAreAnsweredWithoutLoadingAndWithoutABlockingCall(Shape shape) {
			Loads loads = this.context.getBean(Loads.class);
			String name = shape.cache(Variant.LOADS);
			List<String> keys = keys();
			for (String key : keys) {
				this.redis.set(entry(name, key), shape.json("stored-" + key).getBytes(StandardCharsets.UTF_8));
			}
			Map<String, List<Object>> outcomes = Round.start(loads, shape, Variant.LOADS, keys, CALLERS).outcomes();
			assertNoCallerFailed(outcomes);
			for (String key : keys) {
				assertThat(outcomes.get(key)).as(key).hasSize(CALLERS).containsOnly(shape.outcome("stored-" + key));
				assertThat(loads.executions(name, key)).as(key).isZero();
			}
			assertNoBlockingCall();
		}

		/**
		 * BlockHound as it is by default, throwing from a blocking call on a non-blocking
		 * thread: every caller still gets its value (a blocking write would fail the load).
		 */
		@ParameterizedTest(name = "{0}")
		@EnumSource(Shape.class)
		void withBlockHoundThrowingEveryCallerOfAColdKeyGetsItsValue(Shape shape) {
			BlockingCalls.throwing(true);
			coldKeysLoadOnceEach(this.context, shape, this.redis);
		}

	}

	/**
	 * A remote cache whose Redis freezes ({@code SIGSTOP}) while its loads run: no thread
	 * stalls on it, and every caller gets its value or its load's failure, whether its load
	 * was running when Redis froze or started afterwards.
	 */
	@Nested
	class RemoteCachesWithRedisFrozen {

		private static final int FROZEN_KEYS = 10;

		private static final int FROZEN_CALLERS = 10;

		@Test
		void loadsRunningWhenRedisFreezesAndLoadsStartedWhileItIsFrozenAnswerEveryCallerWithoutABlockingCall() {
			try (RedisServer redis = RedisServer.start();
					// a Redis call gives up after 2 s, well within the time a caller is waited for
					ConfigurableApplicationContext context = remoteApplication(redis, "2s")) {
				Loads loads = context.getBean(Loads.class);
				List<Round> running = new ArrayList<>();
				List<Runnable> gates = new ArrayList<>();
				for (Shape shape : Shape.values()) {
					for (Variant variant : List.of(Variant.LOADS, Variant.FAILS)) {
						String name = shape.cache(variant);
						List<String> keys = keys(FROZEN_KEYS);
						Loads.close(name, keys);
						running.add(Round.start(loads, shape, variant, keys, FROZEN_CALLERS));
						// each load has read Redis, taken its lease, and runs
						await().until(() -> redis.keys(leases(name)).size() == FROZEN_KEYS
								&& keys.stream().allMatch((key) -> loads.executions(name, key) == 1));
						gates.add(() -> Loads.open(name, keys));
					}
				}
				redis.pause();
				try {
					// the loads complete, and write Redis or release their leases, while it is frozen
					gates.forEach(Runnable::run);
					for (Round round : running) {
						round.assertOneOutcomePerKey(1);
					}
					// and loads start, reading Redis, while it is frozen
					List<Round> started = new ArrayList<>();
					for (Shape shape : Shape.values()) {
						started.add(Round.start(loads, shape, Variant.LOADS, keys(FROZEN_KEYS), FROZEN_CALLERS));
					}
					for (Round round : started) {
						round.assertOneOutcomePerKey(1);
					}
				}
				finally {
					redis.resume();
				}
				assertThat(Loads.completingThreads).as("threads the loads completed on")
					.isNotEmpty()
					.allMatch(BlockingCalls::isNonBlocking);
				assertNoBlockingCall();
			}
		}

	}

	/**
	 * Cold keys, each called by {@link #CALLERS} callers at once: every caller joins the
	 * one load of its key, which runs once and completes on the method's own thread; every
	 * caller gets its value, which is stored (and, for a remote cache, written to Redis,
	 * with no lease left behind).
	 */
	static void coldKeysLoadOnceEach(ConfigurableApplicationContext context, Shape shape,
			@Nullable RedisServer redis) {
		Loads loads = context.getBean(Loads.class);
		String name = shape.cache(Variant.LOADS);
		CachedCaches.Cache cache = caches(context).getCache(name);
		List<String> keys = keys();
		Round round = heldRound(loads, cache, shape, Variant.LOADS, keys);
		Map<String, List<Object>> outcomes = round.outcomes();
		assertNoCallerFailed(outcomes);
		for (String key : keys) {
			assertThat(outcomes.get(key)).as(key).hasSize(CALLERS).containsOnly(shape.outcome(key + "#1"));
			assertThat(loads.executions(name, key)).as(key).isEqualTo(1);
			assertThat(cache.get(key)).as(key).isEqualTo(shape.stored(key + "#1"));
		}
		if (redis != null) {
			await().until(() -> redis.keys(leases(name)).isEmpty());
			for (String key : keys) {
				assertThat(redis.get(entry(name, key))).as(key).asString().isEqualTo(shape.json(key + "#1"));
			}
		}
		assertCompletedOn(shape);
		assertNoBlockingCall();
	}

	/**
	 * G3 for asynchronous results: every caller joined to a failed load gets the same
	 * exception instance; nothing is stored (nor, for a remote cache, written to Redis, and
	 * the lease is released); the next call runs the method again.
	 */
	static void failuresAreSharedAndNeverStored(ConfigurableApplicationContext context, Shape shape,
			@Nullable RedisServer redis) {
		Loads loads = context.getBean(Loads.class);
		String name = shape.cache(Variant.FAILS);
		CachedCaches.Cache cache = caches(context).getCache(name);
		List<String> keys = keys();
		Map<String, List<Object>> outcomes = heldRound(loads, cache, shape, Variant.FAILS, keys).outcomes();
		for (String key : keys) {
			List<Object> failures = outcomes.get(key);
			assertThat(failures).as(key).hasSize(CALLERS).first().isInstanceOf(LoadFailure.class);
			assertThat(((LoadFailure) failures.get(0))).hasMessage(name + ":" + key + "#1");
			assertThat(failures).as(key).allSatisfy((failure) -> assertThat(failure).isSameAs(failures.get(0)));
			assertThat(cache.contains(key)).as(key).isFalse();
		}
		if (redis != null) {
			await().until(() -> redis.keys(leases(name)).isEmpty());
			assertThat(redis.keys(entries(name))).isEmpty();
		}
		Map<String, List<Object>> again = Round.start(loads, shape, Variant.FAILS, keys, 1).outcomes();
		for (String key : keys) {
			assertThat(again.get(key)).as(key).singleElement().isInstanceOf(LoadFailure.class);
			assertThat((Throwable) again.get(key).get(0)).hasMessage(name + ":" + key + "#2");
			assertThat(loads.executions(name, key)).as(key).isEqualTo(2);
		}
		if (redis != null) {
			await().until(() -> redis.keys(leases(name)).isEmpty());
		}
		assertCompletedOn(shape);
		assertNoBlockingCall();
	}

	/**
	 * Start a round whose loads are held until every caller has joined the load of its key,
	 * then let them complete.
	 */
	private static Round heldRound(Loads loads, CachedCaches.Cache cache, Shape shape, Variant variant,
			List<String> keys) {
		String name = cache.getName();
		Loads.close(name, keys);
		long coalesced = cache.getStatistics().coalesced();
		Round round = Round.start(loads, shape, variant, keys, CALLERS);
		await().until(() -> cache.getStatistics().coalesced() - coalesced == (long) keys.size() * (CALLERS - 1)
				&& keys.stream().allMatch((key) -> loads.executions(name, key) == 1));
		Loads.open(name, keys);
		return round;
	}

	/** No caller got a failure instead of its value (as an HTTP 500 would show it). */
	private static void assertNoCallerFailed(Map<String, List<Object>> outcomes) {
		Map<String, Long> failures = outcomes.values()
			.stream()
			.flatMap(List::stream)
			.filter(Throwable.class::isInstance)
			.collect(Collectors.groupingBy(Object::toString, TreeMap::new, Collectors.counting()));
		assertThat(failures).as("failures that callers got instead of their value, with how many got each")
			.isEmpty();
	}

	private static void assertCompletedOn(Shape shape) {
		assertThat(Loads.completingThreads).as("threads the loads completed on")
			.isNotEmpty()
			.allSatisfy((thread) -> {
				assertThat(BlockingCalls.isNonBlocking(thread)).as("%s is watched by BlockHound", thread.getName())
					.isTrue();
				assertThat(shape.completesOn).as("%s completes %s", thread.getName(), shape).accepts(thread);
			});
	}

	private static void assertNoBlockingCall() {
		List<BlockingCalls.Call> found = BlockingCalls.recorded();
		assertThat(found).withFailMessage(() -> BlockingCalls.describe(found)).isEmpty();
	}

	private static List<String> keys() {
		return keys(KEYS);
	}

	private static List<String> keys(int count) {
		int round = rounds.incrementAndGet();
		List<String> keys = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			keys.add("r" + round + "-" + i);
		}
		return keys;
	}

	private static CachedCaches caches(ConfigurableApplicationContext context) {
		return context.getBean(CachedCaches.class);
	}

	private static String entry(String cache, String key) {
		// generation 0: these caches are never cleared
		return RedisKeyLayout.entry("cached:", cache, 0, StableKeys.encode(key));
	}

	private static String entries(String cache) {
		return "cached:{" + RedisKeyLayout.cacheId(cache) + ".*}:0:\"*";
	}

	private static String leases(String cache) {
		return "cached:{" + RedisKeyLayout.cacheId(cache) + ".*}:0:lease:*";
	}

	private static ConfigurableApplicationContext application(String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--spring.jmx.enabled=false"));
		for (Shape shape : Shape.values()) {
			all.add("--cached.caches.[" + shape.cache(Variant.IMPATIENT) + "].wait-timeout=50ms");
		}
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(Application.class).web(WebApplicationType.NONE)
			.run(all.toArray(new String[0]));
	}

	/**
	 * Start the application with every cache remote, and wait until its tier listens to
	 * the channel of the instances (it subscribes in the background).
	 */
	private static ConfigurableApplicationContext remoteApplication(RedisServer redis, String timeout) {
		ConfigurableApplicationContext context = application("--cached.redis.enabled=true",
				"--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port(),
				"--cached.redis.timeout=" + timeout, "--cached.defaults.remote=true");
		try {
			await().until(() -> (Long) ((List<?>) redis.command("PUBSUB", "NUMSUB", "cached:events")).get(1) == 1);
		}
		catch (RuntimeException | Error ex) {
			context.close();
			throw ex;
		}
		return context;
	}

	/** The caches of each shape. */
	enum Variant {

		/** A method that returns its value. */
		LOADS(""),

		/** A method that fails (its result completes exceptionally). */
		FAILS("failing-"),

		/** A method that returns its value, in a cache with a short wait timeout. */
		IMPATIENT("impatient-");

		private final String prefix;

		Variant(String prefix) {
			this.prefix = prefix;
		}

	}

	/**
	 * An asynchronous return type, the thread its values complete on, and the thread its
	 * callers call from: each calls the cached method from that thread and reports what it
	 * got.
	 */
	enum Shape {

		/** {@code Mono}, completed on Reactor's parallel scheduler. */
		MONO("monos", () -> PARALLEL, Schedulers::isNonBlockingThread) {
			@Override
			void call(Loads loads, Variant variant, String key, Round round) {
				Mono<String> mono = switch (variant) {
					case LOADS -> loads.mono(key);
					case FAILS -> loads.failingMono(key);
					case IMPATIENT -> loads.impatientMono(key);
				};
				mono.subscribe((value) -> round.arrived(key, value), (error) -> round.arrived(key, error));
			}
		},

		/** {@code Flux} of two elements, completed on Reactor's parallel scheduler. */
		FLUX("fluxes", () -> PARALLEL, Schedulers::isNonBlockingThread) {
			@Override
			void call(Loads loads, Variant variant, String key, Round round) {
				Flux<String> flux = switch (variant) {
					case LOADS -> loads.flux(key);
					case FAILS -> loads.failingFlux(key);
					case IMPATIENT -> loads.impatientFlux(key);
				};
				flux.collectList()
					.subscribe((values) -> round.arrived(key, String.join(",", values)),
							(error) -> round.arrived(key, error));
			}

			@Override
			Object outcome(String value) {
				return value + "/1," + value + "/2";
			}

			@Override
			Object stored(String value) {
				return List.of(value + "/1", value + "/2");
			}

			@Override
			String json(String value) {
				return "[\"" + value + "/1\",\"" + value + "/2\"]";
			}
		},

		/** {@code CompletableFuture}, completed on Reactor's parallel scheduler. */
		FUTURE("futures", () -> PARALLEL, Schedulers::isNonBlockingThread) {
			@Override
			void call(Loads loads, Variant variant, String key, Round round) {
				CompletableFuture<String> future = switch (variant) {
					case LOADS -> loads.future(key);
					case FAILS -> loads.failingFuture(key);
					case IMPATIENT -> loads.impatientFuture(key);
				};
				future.whenComplete((value, error) -> round.arrived(key, (error != null) ? error : value));
			}
		},

		/** {@code CompletableFuture}, completed on a Netty event loop and called from it. */
		FUTURE_ON_EVENT_LOOP("event-loop-futures", () -> eventLoop, FastThreadLocalThread.class::isInstance) {
			@Override
			void call(Loads loads, Variant variant, String key, Round round) {
				CompletableFuture<String> future = switch (variant) {
					case LOADS -> loads.eventLoopFuture(key);
					case FAILS -> loads.failingEventLoopFuture(key);
					case IMPATIENT -> loads.impatientEventLoopFuture(key);
				};
				future.whenComplete((value, error) -> round.arrived(key, (error != null) ? error : value));
			}
		};

		private final String cache;

		private final Supplier<Executor> executor;

		/** Whether a thread is one this shape's values complete on. */
		final Predicate<Thread> completesOn;

		Shape(String cache, Supplier<Executor> executor, Predicate<Thread> completesOn) {
			this.cache = cache;
			this.executor = executor;
			this.completesOn = completesOn;
		}

		/** Call the method of {@code variant} for {@code key}, and report what the call got to {@code round}. */
		abstract void call(Loads loads, Variant variant, String key, Round round);

		/** Where values complete, and where callers call from. */
		Executor executor() {
			return this.executor.get();
		}

		String cache(Variant variant) {
			return variant.prefix + this.cache;
		}

		/** What a caller reports for a value (the method's value for a key and an execution). */
		Object outcome(String value) {
			return value;
		}

		/** What the cache stores for a value. */
		Object stored(String value) {
			return value;
		}

		/** What Redis holds for a value. */
		String json(String value) {
			return "\"" + value + "\"";
		}

	}

	/**
	 * One round of calls: every caller of every key calls once, from the shape's thread,
	 * and reports what it got: a value, or a failure.
	 */
	static final class Round {

		private final List<String> keys;

		private final int total;

		private final Map<String, Queue<Object>> outcomes = new ConcurrentHashMap<>();

		private final AtomicInteger arrived = new AtomicInteger();

		private Round(List<String> keys, int callers) {
			this.keys = keys;
			this.total = keys.size() * callers;
			keys.forEach((key) -> this.outcomes.put(key, new ConcurrentLinkedQueue<>()));
		}

		static Round start(Loads loads, Shape shape, Variant variant, List<String> keys, int callers) {
			Round round = new Round(keys, callers);
			for (int caller = 0; caller < callers; caller++) {
				for (String key : keys) {
					shape.executor().execute(() -> shape.call(loads, variant, key, round));
				}
			}
			return round;
		}

		void arrived(String key, Object outcome) {
			Object unwrapped = outcome;
			while (unwrapped instanceof CompletionException wrapped && wrapped.getCause() != null) {
				unwrapped = wrapped.getCause();
			}
			this.outcomes.get(key).add(unwrapped);
			this.arrived.incrementAndGet();
		}

		/** Wait until every caller has reported, and return what each got, by key. */
		Map<String, List<Object>> outcomes() {
			await().until(() -> this.arrived.get() == this.total);
			Map<String, List<Object>> outcomes = new ConcurrentHashMap<>();
			this.outcomes.forEach((key, queue) -> outcomes.put(key, List.copyOf(queue)));
			return outcomes;
		}

		/**
		 * Wait until every caller has reported, and check that the callers of each key got
		 * one and the same outcome: its execution's value, or its failure.
		 */
		void assertOneOutcomePerKey(int execution) {
			Map<String, List<Object>> outcomes = outcomes();
			for (String key : this.keys) {
				List<Object> got = outcomes.get(key);
				assertThat(got).as(key).isNotEmpty();
				Object first = got.get(0);
				if (first instanceof LoadFailure failure) {
					assertThat(failure.getMessage()).as(key).endsWith(":" + key + "#" + execution);
					assertThat(got).as(key).allSatisfy((outcome) -> assertThat(outcome).isSameAs(first));
				}
				else {
					assertThat(first).as(key).isInstanceOf(String.class);
					assertThat((String) first).as(key).startsWith(key + "#" + execution);
					assertThat(got).as(key).containsOnly(first);
				}
			}
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Loads loads() {
			return new Loads();
		}

	}

	/** What the failing methods fail with: one instance per execution. */
	static final class LoadFailure extends RuntimeException {

		private static final long serialVersionUID = 1L;

		LoadFailure(String message) {
			super(message);
		}

	}

	/**
	 * The cached methods: each counts its executions per key, holds the first execution of
	 * a key whose gate is closed until the gate opens, and completes its value (or its
	 * failure) on its shape's thread, remembering that thread. The value of an execution is
	 * {@code <key>#<execution>}.
	 */
	public static class Loads {

		static final Set<Thread> completingThreads = ConcurrentHashMap.newKeySet();

		private static final Map<String, CompletableFuture<Boolean>> gates = new ConcurrentHashMap<>();

		private static final CompletableFuture<Boolean> OPEN = CompletableFuture.completedFuture(true);

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		static void close(String cache, List<String> keys) {
			keys.forEach((key) -> gates.put(cache + ":" + key, new CompletableFuture<>()));
		}

		/** Open the gates, from the test's thread: the values still complete on their shape's thread. */
		static void open(String cache, List<String> keys) {
			for (String key : keys) {
				CompletableFuture<Boolean> gate = gates.remove(cache + ":" + key);
				if (gate != null) {
					gate.complete(true);
				}
			}
		}

		static void openAll() {
			gates.values().forEach((gate) -> gate.complete(true));
			gates.clear();
		}

		int executions(String cache, String key) {
			AtomicInteger count = this.executions.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		@Cached(name = "monos")
		public Mono<String> mono(String key) {
			return mono("monos", key, false);
		}

		@Cached(name = "failing-monos")
		public Mono<String> failingMono(String key) {
			return mono("failing-monos", key, true);
		}

		@Cached(name = "impatient-monos")
		public Mono<String> impatientMono(String key) {
			return mono("impatient-monos", key, false);
		}

		@Cached(name = "fluxes")
		public Flux<String> flux(String key) {
			return flux("fluxes", key, false);
		}

		@Cached(name = "failing-fluxes")
		public Flux<String> failingFlux(String key) {
			return flux("failing-fluxes", key, true);
		}

		@Cached(name = "impatient-fluxes")
		public Flux<String> impatientFlux(String key) {
			return flux("impatient-fluxes", key, false);
		}

		@Cached(name = "futures")
		public CompletableFuture<String> future(String key) {
			return future("futures", key, false, PARALLEL);
		}

		@Cached(name = "failing-futures")
		public CompletableFuture<String> failingFuture(String key) {
			return future("failing-futures", key, true, PARALLEL);
		}

		@Cached(name = "impatient-futures")
		public CompletableFuture<String> impatientFuture(String key) {
			return future("impatient-futures", key, false, PARALLEL);
		}

		@Cached(name = "event-loop-futures")
		public CompletableFuture<String> eventLoopFuture(String key) {
			return future("event-loop-futures", key, false, eventLoop);
		}

		@Cached(name = "failing-event-loop-futures")
		public CompletableFuture<String> failingEventLoopFuture(String key) {
			return future("failing-event-loop-futures", key, true, eventLoop);
		}

		@Cached(name = "impatient-event-loop-futures")
		public CompletableFuture<String> impatientEventLoopFuture(String key) {
			return future("impatient-event-loop-futures", key, false, eventLoop);
		}

		/** A synchronous method that blocks: for the recorder's own test. */
		@Cached(name = "blocking")
		public String blocking(String key) {
			park();
			return key;
		}

		private Mono<String> mono(String cache, String key, boolean fail) {
			int execution = executed(cache, key);
			return Mono.fromFuture(gate(cache, key, execution), true)
				.publishOn(Schedulers.parallel())
				.map((open) -> complete(cache, key, execution, fail));
		}

		private Flux<String> flux(String cache, String key, boolean fail) {
			int execution = executed(cache, key);
			return Mono.fromFuture(gate(cache, key, execution), true)
				.publishOn(Schedulers.parallel())
				.flatMapIterable((open) -> {
					String value = complete(cache, key, execution, fail);
					return List.of(value + "/1", value + "/2");
				});
		}

		private CompletableFuture<String> future(String cache, String key, boolean fail, Executor executor) {
			int execution = executed(cache, key);
			return gate(cache, key, execution).thenApplyAsync((open) -> complete(cache, key, execution, fail),
					executor);
		}

		private int executed(String cache, String key) {
			return this.executions.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		private static CompletableFuture<Boolean> gate(String cache, String key, int execution) {
			return (execution == 1) ? gates.getOrDefault(cache + ":" + key, OPEN) : OPEN;
		}

		private static String complete(String cache, String key, int execution, boolean fail) {
			completingThreads.add(Thread.currentThread());
			if (fail) {
				throw new LoadFailure(cache + ":" + key + "#" + execution);
			}
			return key + "#" + execution;
		}

	}

}
