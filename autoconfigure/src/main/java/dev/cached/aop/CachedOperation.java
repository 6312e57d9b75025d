package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.Optional;

import dev.cached.engine.CachedCache;
import dev.cached.engine.SingleFlight;
import dev.cached.expression.CallExpression;
import dev.cached.key.KeyGenerator;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.util.ObjectUtils;

/**
 * What {@code @Cached} says about one method, resolved and checked at startup: its cache,
 * how to make the key, and the optional condition and veto.
 */
public final class CachedOperation extends MethodOperation implements SingleFlight.Loader {

	private final Method method;

	private final CachedCache cache;

	private final KeyGenerator keyGenerator;

	private final @Nullable CallExpression condition;

	private final @Nullable CallExpression unless;

	CachedOperation(Method method, CachedCache cache, KeyGenerator keyGenerator, @Nullable CallExpression condition,
			@Nullable CallExpression unless) {
		this.method = method;
		this.cache = cache;
		this.keyGenerator = keyGenerator;
		this.condition = condition;
		this.unless = unless;
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
		return this.cache.get(this.keyGenerator.generate(invocation, null), this, invocation);
	}

	@Override
	public @Nullable Object load(Object context) throws Throwable {
		return ((MethodInvocation) context).proceed();
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
	 * Whether a result may be stored: not when {@code unless} vetoes it (its
	 * {@code #result} is the value inside an {@link Optional}, as in Spring's caching),
	 * and an empty {@link Optional} counts as {@code null}, so it is not stored when the
	 * cache does not store {@code null} values.
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
	 * Return the cache the method uses.
	 * @return the cache
	 */
	public CachedCache getCache() {
		return this.cache;
	}

}
