package dev.cached.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.netty.util.concurrent.FastThreadLocalThread;
import org.jspecify.annotations.Nullable;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingMethod;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;
import reactor.core.scheduler.Schedulers;

/**
 * BlockHound, installed once in the test JVM, recording every blocking call it finds (and,
 * when {@link #throwing(boolean) asked}, also throwing {@link BlockingOperationError} as
 * BlockHound does by default), so that a test can assert that none was made and, if one
 * was, say where.
 * <p>
 * Two kinds of thread are watched:
 * <ul>
 * <li>{@linkplain ThreadKind#NON_BLOCKING non-blocking threads}, as the integrations that
 * Reactor and Netty ship for BlockHound mark them: Reactor's {@code NonBlocking} threads
 * ({@code Schedulers.parallel()}, the timer of {@code Mono.delay}) and Netty's event loops
 * (Lettuce's among them). Every blocking call there is recorded.</li>
 * <li>{@linkplain ThreadKind#ASYNC_POOL the threads of CompletableFuture's default
 * asynchronous executor} (the common pool, given two threads or more) and of its delayer
 * ({@code completeOnTimeout}), where the starter may move the steps of an asynchronous load.
 * These threads may block in general (a worker waiting for work, another library's task),
 * so a blocking call there is recorded only when the starter's own code is on the stack:
 * an asynchronous load must not wait for Redis on any thread.</li>
 * </ul>
 * Two locks of libraries are allowed, as BlockHound integrations allow such locks: each is
 * held for a few instructions around an in-memory update and never across I/O, and the
 * starter cannot avoid it when it sends a Redis command or reads a value on a non-blocking
 * thread (a thread that tries to take it while another holds it parks, which BlockHound
 * reports like any other park):
 * <ul>
 * <li>{@code io.lettuce.core.protocol.SharedLock.incrementWriters}: every command that
 * Lettuce dispatches, whatever its API (asynchronous or reactive), counts itself in under
 * it;</li>
 * <li>{@code tools.jackson.databind.deser.DeserializerCache._createAndCacheValueDeserializer}:
 * Jackson builds the deserializer of a type under it, once per type.</li>
 * </ul>
 * BlockHound instruments the whole JVM for good: a test class that installs it runs in a
 * JVM of its own (the surefire execution {@code blockhound}, which also gives the JVM the
 * flags BlockHound needs).
 */
public final class BlockingCalls {

	/** The frames of the starter's code: its packages, but neither tests nor test helpers. */
	private static final String STARTER = "dev.cached.";

	private static final String TEST_HELPERS = "dev.cached.testing.";

	/** The delayer thread of {@code CompletableFuture.completeOnTimeout}, in Java 17 to 25. */
	private static final String DELAYER = "CompletableFutureDelayScheduler";

	private static final int FRAMES_SHOWN = 30;

	private static final int THREADS_SHOWN = 6;

	private static final int STARTER_FRAMES_SHOWN = 4;

	private static final Queue<Call> calls = new ConcurrentLinkedQueue<>();

	private static volatile boolean throwing;

	private static volatile boolean installed;

	private BlockingCalls() {
	}

	/**
	 * Install BlockHound with the integrations found on the class path (Reactor's, Netty's,
	 * BlockHound's own) and this recorder; does nothing the second time.
	 * @throws IllegalStateException if the common pool has a single thread, so that
	 * CompletableFuture's default executor would start a thread per task, which could not
	 * be told from any other thread
	 */
	public static synchronized void install() {
		if (installed) {
			return;
		}
		if (ForkJoinPool.getCommonPoolParallelism() < 2) {
			throw new IllegalStateException("The common pool has " + ForkJoinPool.getCommonPoolParallelism()
					+ " thread: run these tests with -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 (the "
					+ "surefire execution 'blockhound' does)");
		}
		// on Java 25 a CompletableFuture's timeout goes to the common pool's delay scheduler,
		// which the pool starts once, under a spin lock, at the first timeout: start it now,
		// as an application's first timeout would, before BlockHound watches
		new CompletableFuture<Void>().completeOnTimeout(null, 1, TimeUnit.DAYS);
		// Reactor's context propagation reads its accessors' service files once, when a
		// subscription first captures a context: do it now, as an application's first
		// request would, before BlockHound watches
		reactor.core.publisher.Mono.just(1).contextCapture().block();
		BlockHound.install(new Recorder());
		installed = true;
	}

	/**
	 * Throw {@link BlockingOperationError} from every blocking call recorded on a
	 * {@linkplain ThreadKind#NON_BLOCKING non-blocking thread} from now on, as BlockHound
	 * does by default, or stop throwing (calls are recorded either way).
	 * @param throwing whether to throw
	 */
	public static void throwing(boolean throwing) {
		BlockingCalls.throwing = throwing;
	}

	/**
	 * Forget the calls recorded so far.
	 */
	public static void clear() {
		calls.clear();
	}

	/**
	 * Return the calls recorded since the last {@link #clear()}.
	 * @return the calls, in the order they were made
	 */
	public static List<Call> recorded() {
		return new ArrayList<>(calls);
	}

	/**
	 * Return whether BlockHound reports every blocking call made on {@code thread}: whether
	 * Reactor's or Netty's integration marks it non-blocking.
	 * @param thread the thread
	 * @return whether it is a non-blocking thread
	 */
	public static boolean isNonBlocking(Thread thread) {
		return Schedulers.isNonBlockingThread(thread)
				|| (thread instanceof FastThreadLocalThread netty && !netty.permitBlockingCalls());
	}

	/**
	 * Return whether {@code thread} runs CompletableFuture's default asynchronous tasks or
	 * its timeouts: a thread of the common pool, or the delayer.
	 * @param thread the thread
	 * @return whether it is such a thread
	 */
	public static boolean isAsyncPool(Thread thread) {
		return (thread instanceof ForkJoinWorkerThread worker && worker.getPool() == ForkJoinPool.commonPool())
				|| DELAYER.equals(thread.getName());
	}

	/**
	 * Describe the calls: how many, grouped by kind of thread, blocking method and the
	 * starter's frames on the stack, each group with the stack of its first call.
	 * @param found the calls
	 * @return the description
	 */
	public static String describe(List<Call> found) {
		Map<String, List<Call>> groups = found.stream()
			.collect(Collectors.groupingBy(Call::summary, LinkedHashMap::new, Collectors.toList()));
		StringBuilder text = new StringBuilder();
		text.append(found.size()).append(" blocking call(s) on threads that must not block, in ")
			.append(groups.size())
			.append(" place(s):");
		groups.forEach((summary, group) -> {
			List<String> threads = group.stream().map(Call::thread).distinct().sorted().toList();
			text.append("\n\n").append(group.size()).append(" x ").append(summary).append("\non ");
			text.append(String.join(", ", threads.subList(0, Math.min(THREADS_SHOWN, threads.size()))));
			if (threads.size() > THREADS_SHOWN) {
				text.append(" and ").append(threads.size() - THREADS_SHOWN).append(" other thread(s)");
			}
			text.append("; the first of them:\n").append(group.get(0).stack());
		});
		return text.toString();
	}

	private static void found(BlockingMethod method) {
		Thread thread = Thread.currentThread();
		ThreadKind kind = isAsyncPool(thread) ? ThreadKind.ASYNC_POOL : ThreadKind.NON_BLOCKING;
		StackTraceElement[] stack = new Throwable().getStackTrace();
		int top = 0;
		while (top < stack.length && (stack[top].getClassName().startsWith("reactor.blockhound.")
				|| stack[top].getClassName().equals(BlockingCalls.class.getName())
				|| stack[top].getClassName().startsWith(Recorder.class.getName()))) {
			top++;
		}
		// no stream nor lambda here: nothing that could block while a blocking call is reported
		StackTraceElement starter = null;
		for (int i = top; i < stack.length && starter == null; i++) {
			if (isStarter(stack[i])) {
				starter = stack[i];
			}
		}
		if (kind == ThreadKind.ASYNC_POOL && starter == null) {
			// a pool thread waiting for work, or another library's task: not the starter's doing
			return;
		}
		calls.add(new Call(thread.getName(), kind, method.toString(), starter,
				List.of(Arrays.copyOfRange(stack, top, stack.length))));
		if (throwing && kind == ThreadKind.NON_BLOCKING) {
			// as BlockHound does by default, which watches non-blocking threads only
			throw new BlockingOperationError(method);
		}
	}

	private static boolean isStarter(StackTraceElement frame) {
		String name = frame.getClassName();
		if (!name.startsWith(STARTER) || name.startsWith(TEST_HELPERS)) {
			return false;
		}
		int nested = name.indexOf('$');
		String outer = (nested < 0) ? name : name.substring(0, nested);
		return !outer.endsWith("Tests");
	}

	/** The kind of thread a blocking call was made on. */
	public enum ThreadKind {

		/** A thread that Reactor's or Netty's integration marks non-blocking. */
		NON_BLOCKING("non-blocking thread"),

		/** A thread of CompletableFuture's default executor (the common pool) or its delayer. */
		ASYNC_POOL("CompletableFuture's default executor");

		private final String description;

		ThreadKind(String description) {
			this.description = description;
		}

		@Override
		public String toString() {
			return this.description;
		}

	}

	/**
	 * One blocking call.
	 *
	 * @param thread the name of the thread that made it
	 * @param kind the kind of that thread
	 * @param method the blocking method, e.g. {@code jdk.internal.misc.Unsafe#park}
	 * @param starter the innermost frame of the starter's code, if any
	 * @param frames the stack, from the blocking method outwards
	 */
	public record Call(String thread, ThreadKind kind, String method, @Nullable StackTraceElement starter,
			List<StackTraceElement> frames) {

		/**
		 * Return what the call is, without the thread's name: the blocking method, the
		 * starter's innermost frames on the stack (innermost first), and the kind of thread.
		 * @return the summary
		 */
		public String summary() {
			StringBuilder path = new StringBuilder();
			int shown = 0;
			for (StackTraceElement frame : this.frames) {
				if (isStarter(frame) && shown < STARTER_FRAMES_SHOWN) {
					String name = frame.getClassName();
					path.append((shown == 0) ? " in " : " < ")
						.append(name.substring(name.lastIndexOf('.') + 1))
						.append('.')
						.append(frame.getMethodName())
						.append(':')
						.append(frame.getLineNumber());
					shown++;
				}
			}
			return this.method + ((shown > 0) ? path : " outside the starter") + " (" + this.kind + ")";
		}

		/**
		 * Return the stack of the call as a stack trace prints it, its first frames only.
		 * @return the stack
		 */
		public String stack() {
			StringBuilder text = new StringBuilder();
			int shown = Math.min(FRAMES_SHOWN, this.frames.size());
			for (int i = 0; i < shown; i++) {
				text.append("\tat ").append(this.frames.get(i)).append('\n');
			}
			if (shown < this.frames.size()) {
				text.append("\t... ").append(this.frames.size() - shown).append(" more\n");
			}
			return text.toString();
		}

		@Override
		public String toString() {
			return "Blocking call " + summary() + " on " + this.thread + "\n" + stack();
		}

	}

	/**
	 * Applied after every other integration, so that its callback is the one in force and its
	 * threads are watched besides theirs.
	 */
	private static final class Recorder implements BlockHoundIntegration {

		@Override
		public void applyTo(BlockHound.Builder builder) {
			builder.nonBlockingThreadPredicate((current) -> current.or(BlockingCalls::isAsyncPool));
			builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "incrementWriters");
			// a lazily made singleton, once per application: with Spring Boot 4.1, the first
			// observation that reaches the Prometheus exemplars' span context makes the tracer
			builder.allowBlockingCallsInside("org.springframework.util.function.SingletonSupplier", "get");
			builder.allowBlockingCallsInside("tools.jackson.databind.deser.DeserializerCache",
					"_createAndCacheValueDeserializer");
			// Spring Data's subscription container hands each received message to its executor
			// on Lettuce's event loop: the executor's queue takes its lock for an instant, and
			// BlockHound reports the park when the listening thread holds it at that moment
			builder.allowBlockingCallsInside("org.springframework.data.redis.listener.RedisMessageListenerContainer",
					"dispatchMessage");
			builder.blockingMethodCallback(BlockingCalls::found);
		}

		@Override
		public int getPriority() {
			return Integer.MAX_VALUE;
		}

	}

}
