package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.cached.async.AsyncResultAdapter;
import dev.cached.engine.BulkLoader;
import dev.cached.engine.CachedCache;
import dev.cached.expression.CallExpression;
import dev.cached.key.CacheKey;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.core.ResolvableType;

/**
 * What {@code @CachedAll} says about one method, resolved and checked at startup: its
 * cache, which argument holds the elements and how the missing ones are passed to the
 * method, how an element's key is made, how the method's answer (a {@code Map} by element,
 * or a list of values and the element each belongs to) gives each key its value, the
 * optional condition and per-element veto, and the adapter of an asynchronous answer.
 * <p>
 * A call is answered through {@link CachedCache#getAll} (or
 * {@link CachedCache#getAllAsync}) with the distinct keys of its elements, in the
 * caller's order; the method runs, if at all, through a clone of the call whose elements
 * argument holds the missing elements only.
 */
public final class CachedAllOperation extends MethodOperation implements BulkLoader {

	private final Method method;

	private final CachedCache cache;

	/** The index of the parameter that holds the elements. */
	private final int elementsIndex;

	/** Whether the missing elements are passed as a {@code LinkedHashSet} (else an {@code ArrayList}). */
	private final boolean passSet;

	/** The key of an element ({@code #element}), {@code null}: the element itself. */
	private final @Nullable CallExpression key;

	/** The element of a value ({@code #value}) of a list answer, {@code null} for a map answer. */
	private final @Nullable CallExpression valueKey;

	private final @Nullable CallExpression condition;

	private final @Nullable CallExpression unless;

	/** The adapter of an asynchronous answer, {@code null} when the answer itself is returned. */
	private final @Nullable AsyncResultAdapter async;

	CachedAllOperation(Method method, CachedCache cache, int elementsIndex, boolean passSet,
			@Nullable CallExpression key, @Nullable CallExpression valueKey, @Nullable CallExpression condition,
			@Nullable CallExpression unless, @Nullable AsyncResultAdapter async) {
		this.method = method;
		this.cache = cache;
		this.elementsIndex = elementsIndex;
		this.passSet = passSet;
		this.key = key;
		this.valueKey = valueKey;
		this.condition = condition;
		this.unless = unless;
		this.async = async;
	}

	@Override
	@Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		if (this.condition != null && !this.condition.isTrue(invocation, null)) {
			return invocation.proceed();
		}
		Object elements = invocation.getArguments()[this.elementsIndex];
		if (elements == null) {
			// nothing to look up: the method decides what no elements mean
			return invocation.proceed();
		}
		Request request = new Request(invocation, (Iterable<?>) elements);
		if (this.async != null) {
			return CachedAllAsync.answer(this, this.async, request);
		}
		return request.answer(this.cache.getAll(request.keys, this, request));
	}

	/**
	 * Run the method once for the elements of {@code keys}, passed in a new collection of
	 * the parameter's type, and read its answer into the values by key.
	 */
	@Override
	public Map<Object, @Nullable Object> loadAll(Object context, List<Object> keys) throws Throwable {
		Request request = (Request) context;
		return request.valuesByKey(proceed(request, keys), keys);
	}

	/** Call the method, through a clone of the call, with the elements of {@code keys}. */
	@Nullable Object proceed(Request request, List<Object> keys) throws Throwable {
		Collection<Object> missing = this.passSet ? new LinkedHashSet<>() : new ArrayList<>(keys.size());
		for (Object key : keys) {
			missing.add(request.elementByKey.get(key));
		}
		if (!(request.invocation instanceof ProxyMethodInvocation proxied)) {
			throw new IllegalStateException("Cannot call @CachedAll method '" + this.method
					+ "' with the missing elements: the call is not a Spring proxy method invocation");
		}
		@Nullable Object[] arguments = request.invocation.getArguments().clone();
		arguments[this.elementsIndex] = missing;
		return proxied.invocableClone(arguments).proceed();
	}

	/** The {@code unless} veto, per element, with the element's value as {@code #result}. */
	@Override
	public boolean isStorable(Object context, Object key, @Nullable Object value) {
		return this.unless == null || !this.unless.isTrue(((Request) context).invocation, value);
	}

	/** A shared tier reads the method (and so the type of its values) from the call. */
	@Override
	public Object tierContext(Object context) {
		return ((Request) context).invocation;
	}

	Object keyOf(MethodInvocation invocation, @Nullable Object element) {
		return CacheKey.ofValue((this.key != null) ? this.key.getValue(invocation, null, element) : element);
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

	/**
	 * Return the type of the elements when they are the keys (no key expression), as the
	 * elements parameter declares it.
	 * @return the element type, or {@code null} with a key expression or when the
	 * parameter does not say
	 */
	@Nullable Class<?> elementType() {
		if (this.key != null) {
			return null;
		}
		return ResolvableType.forMethodParameter(this.method, this.elementsIndex).as(Iterable.class).getGeneric(0)
			.resolve();
	}

	/**
	 * Whether the method answers with a list of values rather than a map by element.
	 * @return whether the answer is a list
	 */
	boolean answersList() {
		return this.valueKey != null;
	}

	/**
	 * One bulk call: its distinct elements in the caller's order, their distinct keys, and
	 * the element the method is given for each key. The context of the call's loads.
	 */
	final class Request {

		final MethodInvocation invocation;

		/** The distinct keys, in the caller's order. */
		final List<Object> keys = new ArrayList<>();

		/** The first element of each key: what the method is given for it. */
		final Map<Object, @Nullable Object> elementByKey = new HashMap<>();

		/** Each distinct element in the caller's order, and the index of its key. */
		private final Map<@Nullable Object, Integer> elements = new LinkedHashMap<>();

		Request(MethodInvocation invocation, Iterable<?> requested) {
			this.invocation = invocation;
			Map<Object, Integer> indexes = new HashMap<>();
			for (Object element : requested) {
				if (this.elements.containsKey(element)) {
					continue;
				}
				Object key = keyOf(invocation, element);
				Integer index = indexes.get(key);
				if (index == null) {
					index = this.keys.size();
					indexes.put(key, index);
					this.keys.add(key);
					this.elementByKey.put(key, element);
				}
				this.elements.put(element, index);
			}
		}

		/**
		 * The values by key of the method's answer, for the keys asked for only.
		 */
		Map<Object, @Nullable Object> valuesByKey(@Nullable Object answer, List<Object> asked) {
			Map<Object, @Nullable Object> values = new HashMap<>();
			if (answer == null) {
				return values;
			}
			Set<Object> wanted = new HashSet<>(asked);
			if (CachedAllOperation.this.valueKey != null) {
				for (Object value : (Iterable<?>) answer) {
					Object element = CachedAllOperation.this.valueKey.getValue(this.invocation, null, value);
					Object key = keyOf(this.invocation, element);
					if (wanted.contains(key) && !values.containsKey(key)) {
						values.put(key, value);
					}
				}
			}
			else {
				for (Map.Entry<?, ?> entry : ((Map<?, ?>) answer).entrySet()) {
					Object key = keyOf(this.invocation, entry.getKey());
					if (wanted.contains(key) && !values.containsKey(key)) {
						values.put(key, entry.getValue());
					}
				}
			}
			return values;
		}

		/**
		 * The caller's answer: every requested element that has a value, in the caller's
		 * order, as a {@code LinkedHashMap} by element or a list of values.
		 */
		Object answer(@Nullable Object[] values) {
			if (answersList()) {
				List<Object> list = new ArrayList<>(this.elements.size());
				for (Integer index : this.elements.values()) {
					Object value = values[index];
					if (value != null) {
						list.add(value);
					}
				}
				return list;
			}
			Map<@Nullable Object, Object> map = new LinkedHashMap<>();
			for (Map.Entry<@Nullable Object, Integer> entry : this.elements.entrySet()) {
				Object value = values[entry.getValue()];
				if (value != null) {
					map.put(entry.getKey(), value);
				}
			}
			return map;
		}

	}

}
