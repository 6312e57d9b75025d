package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import dev.cached.async.AsyncMethod;
import dev.cached.async.AsyncResultAdapter;
import dev.cached.engine.CachedCache;
import dev.cached.engine.Loader;
import dev.cached.expression.CallExpression;
import dev.cached.key.KeyGenerator;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.util.ObjectUtils;

/**
 * What {@code @Cached} says about one method, resolved and checked at startup: its cache,
 * how to make the key, the optional condition and veto, and, for a method that returns a
 * future or a publisher (or a Kotlin {@code suspend} function), the adapter of its result.
 */
public final class CachedOperation extends MethodOperation implements Loader, AsyncMethod {

	private final Method method;

	private final CachedCache cache;

	private final KeyGenerator keyGenerator;

	/** Whether the key is the default one (all arguments) rather than a key expression. */
	private final boolean defaultKey;

	private final @Nullable CallExpression condition;

	private final @Nullable CallExpression unless;

	/** The adapter of an asynchronous return type, {@code null} when the value itself is returned. */
	private final @Nullable AsyncResultAdapter async;

	CachedOperation(Method method, CachedCache cache, KeyGenerator keyGenerator, boolean defaultKey,
			@Nullable CallExpression condition, @Nullable CallExpression unless, @Nullable AsyncResultAdapter async) {
		this.method = method;
		this.cache = cache;
		this.keyGenerator = keyGenerator;
		this.defaultKey = defaultKey;
		this.condition = condition;
		this.unless = unless;
		this.async = async;
	}

	/**
	 * Answer a call through the cache.
	 * @param invocation the call
	 * @return the method's result, cached or not
	 * @throws Throwable what the method throws (unwrapped), or what the engine throws
	 */
	@Override
	@Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		if (this.condition != null && !this.condition.isTrue(invocation, null)) {
			return invocation.proceed();
		}
		if (this.async != null) {
			return this.async.answer(this.cache, this.keyGenerator.generate(invocation, null), this, invocation);
		}
		return this.cache.get(this.keyGenerator.generate(invocation, null), this, invocation);
	}

	@Override
	public @Nullable Object load(Object context) throws Throwable {
		return ((MethodInvocation) context).proceed();
	}

	/**
	 * Start the method and return the stage of its eventual value (see
	 * {@link #call(Object)}).
	 */
	@Override
	public @Nullable CompletionStage<?> loadAsync(Object context) throws Throwable {
		return asyncResult().toStage(call(context));
	}

	/**
	 * Call the method. A lazy result ({@code Mono}, {@code Flux}, the {@code Mono} a
	 * suspend call is made into) may be subscribed more than once, so each load proceeds
	 * on a copy of the call, which is left untouched.
	 */
	@Override
	public @Nullable Object call(Object context) throws Throwable {
		MethodInvocation invocation = (MethodInvocation) context;
		return (asyncResult().isLazy() && invocation instanceof ProxyMethodInvocation proxied)
				? proxied.invocableClone().proceed() : invocation.proceed();
	}

	private AsyncResultAdapter asyncResult() {
		AsyncResultAdapter async = this.async;
		if (async == null) {
			throw new IllegalStateException("Method '" + this.method + "' does not return an asynchronous result");
		}
		return async;
	}

	/**
	 * A background reload proceeds through a clone of the call, made while the call is in
	 * this interceptor: it runs the rest of the advice chain (the advice ordered after this
	 * one, such as transactions) and the method with the same arguments, on the refresh
	 * executor's thread.
	 */
	@Override
	public Object refreshContext(Object context) {
		if (context instanceof ProxyMethodInvocation invocation) {
			return invocation.invocableClone();
		}
		throw new IllegalStateException("Cannot reload cache '" + this.cache.getName()
				+ "' in the background: the call is not a Spring proxy method invocation");
	}

	/**
	 * Whether a result (for an asynchronous method: its eventual value) may be stored: not
	 * when {@code unless} vetoes it (its {@code #result} is the value inside an
	 * {@link Optional}, as in Spring's caching), and an empty {@link Optional} counts as
	 * {@code null}, so it is not stored when the cache does not store {@code null} values.
	 */
	@Override
	public boolean isStorable(Object context, @Nullable Object result) {
		if (result instanceof Optional<?> optional && optional.isEmpty()
				&& !this.cache.getSettings().isCacheNullValues()) {
			return false;
		}
		return this.unless == null
				|| !this.unless.isTrue((MethodInvocation) context, ObjectUtils.unwrapOptional(result));
	}

	/**
	 * Return the annotated method.
	 * @return the method
	 */
	public Method getMethod() {
		return this.method;
	}

	/**
	 * Return the type of the values the method's cache holds for it: its return type, or
	 * for an asynchronous method the type of its eventual value (for a suspend function,
	 * its Kotlin return type).
	 * @return the value type
	 */
	public Class<?> getValueType() {
		return (this.async != null) ? this.async.valueType(this.method) : this.method.getReturnType();
	}

	/**
	 * Return whether the key is the default one, made of all arguments, rather than the
	 * value of a key expression.
	 * @return whether the key is the default one
	 */
	boolean hasDefaultKey() {
		return this.defaultKey;
	}

	/**
	 * Return the cache the method uses.
	 * @return the cache
	 */
	public CachedCache getCache() {
		return this.cache;
	}

}
