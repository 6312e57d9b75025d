package dev.cached.async;

import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

import dev.cached.async.reactor.ReactorAdapters;
import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;
import org.springframework.util.ClassUtils;

/**
 * The asynchronous return types a {@code @Cached} method may declare, and their adapters:
 * {@link CompletableFuture} and {@link CompletionStage} always, {@code Mono} and
 * {@code Flux} when Project Reactor is on the classpath, and Kotlin {@code suspend}
 * functions when kotlinx-coroutines-reactor and kotlin-reflect are (what Spring's proxies
 * need to call them). Reactor and Kotlin are optional: their adapters are only loaded
 * once they have been found, the way Spring's {@code CacheAspectSupport} keeps its
 * {@code ReactiveCachingHandler} optional.
 */
public final class AsyncResultAdapters {

	static final String MONO = "reactor.core.publisher.Mono";

	static final String FLUX = "reactor.core.publisher.Flux";

	private static final String PUBLISHER = "org.reactivestreams.Publisher";

	private static final String FLOW_PUBLISHER = "java.util.concurrent.Flow$Publisher";

	/** What Spring's proxies look for before they await a suspend function's result. */
	static final String COROUTINES_REACTOR = "kotlinx.coroutines.reactor.MonoKt";

	/** What Spring reads Kotlin signatures with (a suspend function's return type). */
	static final String KOTLIN_REFLECT = "kotlin.reflect.full.KClasses";

	private static final String KOTLIN_FLOW = "kotlinx.coroutines.flow.Flow";

	private static final String KOTLIN_DEFERRED = "kotlinx.coroutines.Deferred";

	private final @Nullable AsyncResultAdapter mono;

	private final @Nullable AsyncResultAdapter flux;

	/** The adapter of suspend functions, {@code null} when a library they need is missing. */
	private final @Nullable AsyncResultAdapter suspending;

	/** Why suspend functions cannot be cached, when {@link #suspending} is {@code null}. */
	private final String suspendingMissing;

	private AsyncResultAdapters(@Nullable AsyncResultAdapter mono, @Nullable AsyncResultAdapter flux,
			@Nullable AsyncResultAdapter suspending, String suspendingMissing) {
		this.mono = mono;
		this.flux = flux;
		this.suspending = suspending;
		this.suspendingMissing = suspendingMissing;
	}

	/**
	 * Return the adapters for what {@code classLoader} can load: the Reactor ones only if
	 * it sees Reactor, the one for suspend functions only if it also sees
	 * kotlinx-coroutines-reactor and kotlin-reflect.
	 * @param classLoader the application's class loader, or {@code null} for the default
	 * @return the adapters
	 */
	public static AsyncResultAdapters detect(@Nullable ClassLoader classLoader) {
		boolean reactor = ClassUtils.isPresent(MONO, classLoader) && ClassUtils.isPresent(FLUX, classLoader);
		StringBuilder missing = new StringBuilder();
		if (!reactor || !ClassUtils.isPresent(COROUTINES_REACTOR, classLoader)) {
			missing.append("org.jetbrains.kotlinx:kotlinx-coroutines-reactor");
		}
		if (!ClassUtils.isPresent(KOTLIN_REFLECT, classLoader)) {
			missing.append((missing.length() > 0) ? " and " : "").append("org.jetbrains.kotlin:kotlin-reflect");
		}
		if (!reactor) {
			return new AsyncResultAdapters(null, null, null, missing.toString());
		}
		return new AsyncResultAdapters(ReactorAdapters.mono(), ReactorAdapters.flux(),
				missing.isEmpty() ? ReactorAdapters.suspending() : null, missing.toString());
	}

	/**
	 * Return the adapter for a Kotlin {@code suspend} function (a method whose last
	 * parameter is a {@code kotlin.coroutines.Continuation}): Spring's proxy calls it as
	 * a {@code Mono} of its value and awaits what the advice returns, so its cache holds
	 * the value and its key leaves the {@code Continuation} out.
	 * @param method the suspend function
	 * @return the adapter
	 * @throws IllegalArgumentException if it cannot be cached, with a message that says
	 * why and what to do
	 */
	public AsyncResultAdapter forSuspendingFunction(Method method) {
		AsyncResultAdapter adapter = this.suspending;
		if (adapter == null) {
			throw new IllegalArgumentException("is a Kotlin suspend function, which needs " + this.suspendingMissing
					+ " on the classpath (Spring's proxies call suspend functions through them); add "
					+ (this.suspendingMissing.contains(" and ") ? "them" : "it"));
		}
		Class<?> returnType = new MethodParameter(method, -1).getParameterType();
		if (returnType == void.class || returnType == Void.class) {
			throw new IllegalArgumentException("is a suspend function that returns Unit, so there is nothing to "
					+ "cache; use @CacheInvalidate to remove entries, or return the value");
		}
		if (isA(returnType, KOTLIN_FLOW)) {
			throw flowIsNotCached(returnType);
		}
		if (Future.class.isAssignableFrom(returnType) || CompletionStage.class.isAssignableFrom(returnType)
				|| isA(returnType, PUBLISHER) || isA(returnType, FLOW_PUBLISHER) || isA(returnType, KOTLIN_DEFERRED)) {
			throw new IllegalArgumentException("is a suspend function that returns " + returnType.getName()
					+ "; a suspend function is cached by its value: make it return the value itself");
		}
		return adapter;
	}

	/**
	 * Return the adapter for a method's return type.
	 * @param returnType the declared return type
	 * @return the adapter, or {@code null} if the type is no asynchronous type (the value
	 * itself is cached)
	 * @throws IllegalArgumentException if the type is asynchronous but not supported, with
	 * a message that says what the method returns and what to do ("returns ...")
	 */
	public @Nullable AsyncResultAdapter forReturnType(Class<?> returnType) {
		if (returnType == CompletableFuture.class || returnType == CompletionStage.class) {
			return CompletionStageAdapter.INSTANCE;
		}
		if (Future.class.isAssignableFrom(returnType) || CompletionStage.class.isAssignableFrom(returnType)) {
			throw new IllegalArgumentException("returns " + returnType.getName() + ", a future type that cannot "
					+ "be cached; return java.util.concurrent.CompletableFuture or "
					+ "java.util.concurrent.CompletionStage");
		}
		if (isA(returnType, KOTLIN_FLOW)) {
			throw flowIsNotCached(returnType);
		}
		if (isA(returnType, KOTLIN_DEFERRED)) {
			throw new IllegalArgumentException("returns " + returnType.getName() + ", a Kotlin future that cannot "
					+ "be cached; make it a suspend function that returns the value itself");
		}
		String name = returnType.getName();
		if (name.equals(MONO) || name.equals(FLUX)) {
			AsyncResultAdapter adapter = name.equals(MONO) ? this.mono : this.flux;
			if (adapter == null) {
				throw new IllegalArgumentException("returns " + name + ", but Project Reactor is not on the "
						+ "classpath; add io.projectreactor:reactor-core to cache reactive results");
			}
			return adapter;
		}
		if (isA(returnType, PUBLISHER) || isA(returnType, FLOW_PUBLISHER)) {
			throw new IllegalArgumentException("returns " + name + ", a publisher type that cannot be cached; "
					+ "return " + MONO + " or " + FLUX);
		}
		return null;
	}

	/**
	 * Return whether a type is a Kotlin {@code Flow} (or one of its subtypes), without
	 * loading kotlinx.coroutines.
	 * @param type a return type
	 * @return whether it is a {@code Flow}
	 */
	public static boolean isKotlinFlow(Class<?> type) {
		return isA(type, KOTLIN_FLOW);
	}

	private static IllegalArgumentException flowIsNotCached(Class<?> returnType) {
		String type = returnType.getName().equals(KOTLIN_FLOW) ? KOTLIN_FLOW
				: returnType.getName() + " (a " + KOTLIN_FLOW + ")";
		return new IllegalArgumentException("returns " + type + ", a stream that cannot be cached; make it a "
				+ "suspend function that returns the collected values (a List), or return a " + FLUX);
	}

	/** Whether {@code type} is or extends the type named {@code name}, without loading it. */
	private static boolean isA(@Nullable Class<?> type, String name) {
		if (type == null || type == Object.class) {
			return false;
		}
		if (type.getName().equals(name) || isA(type.getSuperclass(), name)) {
			return true;
		}
		for (Class<?> implemented : type.getInterfaces()) {
			if (isA(implemented, name)) {
				return true;
			}
		}
		return false;
	}

}
