package dev.cached.async;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

import dev.cached.async.reactor.ReactorAdapters;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

/**
 * The asynchronous return types a {@code @Cached} method may declare, and their adapters:
 * {@link CompletableFuture} and {@link CompletionStage} always, {@code Mono} and
 * {@code Flux} when Project Reactor is on the classpath. Reactor is optional: its adapters
 * are only loaded once it has been found, the way Spring's {@code CacheAspectSupport}
 * keeps its {@code ReactiveCachingHandler} optional.
 */
public final class AsyncResultAdapters {

	static final String MONO = "reactor.core.publisher.Mono";

	static final String FLUX = "reactor.core.publisher.Flux";

	private static final String PUBLISHER = "org.reactivestreams.Publisher";

	private static final String FLOW_PUBLISHER = "java.util.concurrent.Flow$Publisher";

	private final @Nullable AsyncResultAdapter mono;

	private final @Nullable AsyncResultAdapter flux;

	private AsyncResultAdapters(@Nullable AsyncResultAdapter mono, @Nullable AsyncResultAdapter flux) {
		this.mono = mono;
		this.flux = flux;
	}

	/**
	 * Return the adapters for what {@code classLoader} can load: the Reactor ones only if
	 * it sees Reactor.
	 * @param classLoader the application's class loader, or {@code null} for the default
	 * @return the adapters
	 */
	public static AsyncResultAdapters detect(@Nullable ClassLoader classLoader) {
		if (ClassUtils.isPresent(MONO, classLoader) && ClassUtils.isPresent(FLUX, classLoader)) {
			return new AsyncResultAdapters(ReactorAdapters.mono(), ReactorAdapters.flux());
		}
		return new AsyncResultAdapters(null, null);
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
