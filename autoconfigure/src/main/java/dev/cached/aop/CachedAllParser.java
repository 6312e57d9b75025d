package dev.cached.aop;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.async.AsyncResultAdapter;
import dev.cached.async.AsyncResultAdapters;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteTier;
import dev.cached.expression.CallExpression;
import dev.cached.expression.MethodExpressions;
import org.jspecify.annotations.Nullable;

import org.springframework.core.KotlinDetector;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.core.annotation.AnnotatedElementUtils;

import static dev.cached.aop.CachedAnnotationValidator.invalid;

/**
 * Reads and checks the {@code @CachedAll} annotation of one method into its
 * {@link CachedAllOperation}, for {@link CachedOperationParser}: which parameter holds the
 * elements and which collection the missing ones are passed in, what the method answers
 * (a {@code Map} by element, or a {@code List}/{@code Collection} of values with
 * {@code valueKey}, or a {@code CompletableFuture}, {@code CompletionStage} or {@code Mono}
 * of one of those, or a Kotlin {@code suspend} function that returns one of those), and
 * each expression. A suspend function's {@code Continuation} is no parameter here: not the
 * elements, not an argument of an expression. Every problem is an {@link IllegalStateException}
 * starting with {@code @CachedAll on method '...'}, naming the offending value.
 */
final class CachedAllParser {

	private static final String ANNOTATION = "@CachedAll";

	private static final String MONO = "reactor.core.publisher.Mono";

	private final CachedOperationParser parser;

	private final CacheRegistry registry;

	private final AsyncResultAdapters asyncResults;

	CachedAllParser(CachedOperationParser parser, CacheRegistry registry, AsyncResultAdapters asyncResults) {
		this.parser = parser;
		this.registry = registry;
		this.asyncResults = asyncResults;
	}

	CachedAllOperation parse(Method method, Method annotated, CachedAll all) {
		checkAlone(method);
		CachedAnnotationValidator.checkInterceptable(method, ANNOTATION);
		boolean defaultName = all.name().isBlank();
		String name = defaultName ? method.getDeclaringClass().getSimpleName() + "." + method.getName()
				: all.name().trim();
		AsyncResultAdapter async = asyncAdapter(method);
		boolean list = answersList(method, answerType(method, async));
		if (list && all.valueKey().isEmpty()) {
			throw invalid(method, ANNOTATION, "returns " + describeReturn(method) + ", a list of values, but has no "
					+ "valueKey; say which element each value belongs to, e.g. valueKey = \"#value.id\"");
		}
		if (!list && !all.valueKey().isEmpty()) {
			throw invalid(method, ANNOTATION, "has valueKey \"" + all.valueKey() + "\" but returns "
					+ describeReturn(method) + ", a Map whose keys are the elements already; remove valueKey");
		}
		int index = elementsIndex(method, all.elements(), name);
		Class<?> parameterType = method.getParameterTypes()[index];
		boolean passSet = !parameterType.isAssignableFrom(ArrayList.class);
		if (passSet && !parameterType.isAssignableFrom(LinkedHashSet.class)) {
			throw invalid(method, ANNOTATION, "takes its elements as " + parameterType.getName() + ", which cannot "
					+ "hold the missing elements passed to the method (an ArrayList, or a LinkedHashSet for a Set); "
					+ "declare the parameter as a Collection, List, Set or Iterable");
		}
		Duration ttl = this.parser.parseTtl(method, ANNOTATION, all.ttl());
		CallExpression key = all.key().isEmpty() ? null
				: this.parser.parse(method, ANNOTATION, "key", all.key(), name, false, "element");
		CallExpression valueKey = all.valueKey().isEmpty() ? null
				: this.parser.parse(method, ANNOTATION, "valueKey", all.valueKey(), name, false, "value");
		CallExpression condition = all.condition().isEmpty() ? null
				: this.parser.parse(method, ANNOTATION, "condition", all.condition(), name, false, null);
		CallExpression unless = all.unless().isEmpty() ? null
				: this.parser.parse(method, ANNOTATION, "unless", all.unless(), name, true, null);
		CachedCache cache;
		try {
			cache = this.registry.register(name, method, defaultName, ttl);
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, ANNOTATION, ex.getMessage());
		}
		CachedAllOperation operation = new CachedAllOperation(annotated, cache, index, passSet, key, valueKey,
				condition, unless, async);
		RemoteTier tier = this.registry.getRemoteTier();
		if (tier != null) {
			String problem = CachedAnnotationValidator.remoteKeyProblem(method, operation, tier);
			if (problem != null) {
				throw invalid(method, ANNOTATION, problem);
			}
		}
		return operation;
	}

	private static void checkAlone(Method method) {
		for (Class<? extends java.lang.annotation.Annotation> other : List.of(Cached.class, CachePut.class,
				CacheInvalidate.class, CacheInvalidate.List.class)) {
			if (AnnotatedElementUtils.hasAnnotation(method, other)) {
				String named = (other == CacheInvalidate.List.class) ? "@CacheInvalidate" : "@" + other.getSimpleName();
				throw invalid(method, ANNOTATION, "also has " + named + "; put them on different methods");
			}
		}
	}

	/**
	 * The adapter of an asynchronous answer: only futures and {@code Mono}s of one answer,
	 * and Kotlin {@code suspend} functions (whose answer is their Kotlin return type).
	 */
	private @Nullable AsyncResultAdapter asyncAdapter(Method method) {
		Class<?> returnType = method.getReturnType();
		Class<?> declared = KotlinDetector.isSuspendingFunction(method)
				? new MethodParameter(method, -1).getParameterType() : returnType;
		if (AsyncResultAdapters.isKotlinFlow(declared)) {
			throw invalid(method, ANNOTATION, "returns " + declared.getName() + ", a stream that @CachedAll does "
					+ "not take; make it a suspend function that returns a Map<K, V> by element, or a List<V> "
					+ "with valueKey");
		}
		AsyncResultAdapter async;
		try {
			if (KotlinDetector.isSuspendingFunction(method)) {
				return this.asyncResults.forSuspendingFunction(method);
			}
			async = this.asyncResults.forReturnType(returnType);
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, ANNOTATION, ex.getMessage());
		}
		if (async != null && async.isLazy() && !returnType.getName().equals(MONO)) {
			throw invalid(method, ANNOTATION, "returns " + returnType.getName() + ", which @CachedAll does not take; "
					+ "return a " + MONO + " of a Map or a List");
		}
		return async;
	}

	/**
	 * The type of the answer: the return type, a future's or {@code Mono}'s type argument,
	 * or a suspend function's Kotlin return type (its {@code Continuation}'s type argument).
	 */
	private static Class<?> answerType(Method method, @Nullable AsyncResultAdapter async) {
		return (async != null) ? async.valueType(method) : method.getReturnType();
	}

	private static boolean answersList(Method method, Class<?> answer) {
		if (Map.class.isAssignableFrom(answer) && answer.isAssignableFrom(LinkedHashMap.class)) {
			return false;
		}
		if (Collection.class.isAssignableFrom(answer) && answer.isAssignableFrom(ArrayList.class)) {
			return true;
		}
		throw invalid(method, ANNOTATION, "returns " + describeReturn(method) + ", which is neither a Map nor a "
				+ "List/Collection (nor a CompletableFuture, CompletionStage or Mono of one); return a Map<K, V> "
				+ "by element, or a List<V> with valueKey");
	}

	/** The declared return type; of a suspend function, its Kotlin return type. */
	private static String describeReturn(Method method) {
		return (KotlinDetector.isSuspendingFunction(method)
				? ResolvableType.forMethodParameter(new MethodParameter(method, -1))
				: ResolvableType.forMethodReturnType(method)).toString();
	}

	/**
	 * The index of the parameter that holds the elements, among the parameters the source
	 * declares: a suspend function's {@code Continuation} is none
	 * ({@link MethodExpressions#parameterCount}).
	 */
	private int elementsIndex(Method method, String elements, String cacheName) {
		int count = MethodExpressions.parameterCount(method);
		Class<?>[] types = method.getParameterTypes();
		if (!elements.isEmpty()) {
			CallExpression expression = this.parser.parse(method, ANNOTATION, "elements", elements, cacheName, false,
					null);
			int index = expression.getArgumentIndex();
			if (index < 0) {
				throw invalid(method, ANNOTATION, "has elements \"" + elements + "\", which does not name a parameter;"
						+ " name the parameter that holds the elements, e.g. elements = \"#ids\"");
			}
			if (!Iterable.class.isAssignableFrom(types[index])) {
				throw invalid(method, ANNOTATION, "has elements \"" + elements + "\", a parameter of type "
						+ types[index].getName() + ", which is not an Iterable (a Collection, Set, List or Iterable)");
			}
			return index;
		}
		List<Integer> iterables = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			if (Iterable.class.isAssignableFrom(types[i])) {
				iterables.add(i);
			}
		}
		if (iterables.isEmpty()) {
			throw invalid(method, ANNOTATION, "has no parameter of type Iterable (a Collection, Set, List or "
					+ "Iterable) to take the elements from; declare one, or name it with elements = \"#ids\"");
		}
		if (iterables.size() > 1) {
			throw invalid(method, ANNOTATION, "has " + iterables.size() + " Iterable parameters (" + names(method,
					iterables) + "); name the one that holds the elements with elements = \"#...\"");
		}
		return iterables.get(0);
	}

	private static String names(Method method, List<Integer> indexes) {
		StringBuilder names = new StringBuilder();
		for (int index : indexes) {
			names.append((names.length() > 0) ? ", " : "").append("#p").append(index);
		}
		return names.toString();
	}

}
