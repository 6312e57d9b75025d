package dev.cached.aop;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

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
import dev.cached.key.KeyGenerator;
import org.jspecify.annotations.Nullable;

import org.springframework.core.KotlinDetector;
import org.springframework.core.annotation.AnnotatedElementUtils;

import static dev.cached.aop.CachedAnnotationValidator.invalid;

/**
 * Reads the {@code @Cached}, {@code @CachePut} and {@code @CacheInvalidate} annotations of
 * one method into its operation, once: it finds the annotations (on the method, or on a
 * method it overrides or implements), has {@link CachedAnnotationValidator} check the
 * method against the rules, parses the ttl and each expression, and registers a
 * {@code @Cached} method with its cache. A value it cannot read (a ttl, an expression, an
 * asynchronous return type, a cache name or ttl the registry refuses) is an
 * {@link IllegalStateException} naming the annotation, the method and the value.
 * <p>
 * A Kotlin {@code suspend} function is an asynchronous method like one that returns a
 * {@code Mono}: its key and expressions see the parameters of its Kotlin signature, without
 * the {@code Continuation} ({@link MethodExpressions#parameterCount}). Every per-method
 * step here goes through that one rule, so that another annotation of asynchronous
 * methods (a bulk one) gets suspend functions by reading its key the same way.
 * <p>
 * {@link CachedOperationSource} calls it, and remembers what it returns.
 */
final class CachedOperationParser {

	private final CacheRegistry registry;

	private final MethodExpressions expressions;

	private final Function<String, Duration> durations;

	private final AsyncResultAdapters asyncResults;

	private final CachedAllParser bulk;

	/**
	 * Create a parser.
	 * @param registry the caches, created as methods register
	 * @param expressions the expression parser
	 * @param durations reads a duration in an annotation, and throws an exception if the
	 * text is not one
	 * @param asyncResults the asynchronous return types that methods may declare
	 */
	CachedOperationParser(CacheRegistry registry, MethodExpressions expressions, Function<String, Duration> durations,
			AsyncResultAdapters asyncResults) {
		this.registry = registry;
		this.expressions = expressions;
		this.durations = durations;
		this.asyncResults = asyncResults;
		this.bulk = new CachedAllParser(this, registry, asyncResults);
	}

	/**
	 * Read the operation of a method.
	 * @param specific the most specific method (the implementation), whose annotations
	 * count first
	 * @param invoked the method as invoked, whose annotations count when {@code specific}
	 * has none
	 * @return the operation, or {@code null} if neither method is annotated, or if
	 * {@code specific} is synthetic (made by a compiler)
	 * @throws IllegalStateException if the annotations are invalid
	 */
	@Nullable MethodOperation parse(Method specific, Method invoked) {
		if (specific.isSynthetic()) {
			// made by a compiler, never called through the proxy: Kotlin's static
			// find$suspendImpl, which an open suspend fun find delegates to, carries its annotations
			return null;
		}
		Method annotated = specific;
		CachedAll all = AnnotatedElementUtils.findMergedAnnotation(specific, CachedAll.class);
		if (all == null && specific != invoked && !CachedOperationSource.isAnnotated(specific)) {
			all = AnnotatedElementUtils.findMergedAnnotation(invoked, CachedAll.class);
			annotated = (all != null) ? invoked : specific;
		}
		if (all != null) {
			return this.bulk.parse(specific, annotated, all);
		}
		Cached cached = AnnotatedElementUtils.findMergedAnnotation(specific, Cached.class);
		CachePut put = AnnotatedElementUtils.findMergedAnnotation(specific, CachePut.class);
		Set<CacheInvalidate> invalidates = AnnotatedElementUtils.findMergedRepeatableAnnotations(specific,
				CacheInvalidate.class);
		if (cached == null && put == null && invalidates.isEmpty() && specific != invoked) {
			annotated = invoked;
			cached = AnnotatedElementUtils.findMergedAnnotation(invoked, Cached.class);
			put = AnnotatedElementUtils.findMergedAnnotation(invoked, CachePut.class);
			invalidates = AnnotatedElementUtils.findMergedRepeatableAnnotations(invoked, CacheInvalidate.class);
		}
		if (put != null) {
			CachedAnnotationValidator.checkPut(specific, put, cached != null);
			return parsePut(specific, put, invalidates);
		}
		if (cached != null) {
			CachedAnnotationValidator.checkCached(specific, !invalidates.isEmpty());
			return parseCached(specific, annotated, cached);
		}
		if (!invalidates.isEmpty()) {
			CachedAnnotationValidator.checkInvalidating(specific);
			return new InvalidatingOperation(parseInvalidates(specific, invalidates), this.registry::getCache);
		}
		return null;
	}

	private CachedOperation parseCached(Method method, Method annotated, Cached cached) {
		AsyncResultAdapter async;
		try {
			async = KotlinDetector.isSuspendingFunction(method) ? this.asyncResults.forSuspendingFunction(method)
					: this.asyncResults.forReturnType(method.getReturnType());
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, "@Cached", ex.getMessage());
		}
		boolean defaultName = cached.name().isBlank();
		String name = defaultName ? method.getDeclaringClass().getSimpleName() + "." + method.getName()
				: cached.name().trim();
		Duration ttl = parseTtl(method, "@Cached", cached.ttl());
		boolean defaultKey = cached.key().isEmpty();
		KeyGenerator keyGenerator = defaultKey ? allArguments(method)
				: KeyGenerator.expression(parse(method, "@Cached", "key", cached.key(), name, false));
		CallExpression condition = cached.condition().isEmpty() ? null
				: parse(method, "@Cached", "condition", cached.condition(), name, false);
		CallExpression unless = cached.unless().isEmpty() ? null
				: parse(method, "@Cached", "unless", cached.unless(), name, true);
		CachedCache cache;
		try {
			cache = this.registry.register(name, method, defaultName, ttl);
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, "@Cached", ex.getMessage());
		}
		CachedOperation operation = new CachedOperation(annotated, cache, keyGenerator, defaultKey, condition,
				unless, async);
		RemoteTier tier = this.registry.getRemoteTier();
		if (tier != null) {
			CachedAnnotationValidator.checkRemoteKey(method, operation, tier);
		}
		return operation;
	}

	private PuttingOperation parsePut(Method method, CachePut put, Set<CacheInvalidate> invalidates) {
		String name = put.name().trim();
		KeyGenerator keyGenerator = put.key().isEmpty() ? allArguments(method)
				: KeyGenerator.expression(parse(method, "@CachePut", "key", put.key(), name, true));
		CallExpression condition = put.condition().isEmpty() ? null
				: parse(method, "@CachePut", "condition", put.condition(), name, true);
		CallExpression unless = put.unless().isEmpty() ? null
				: parse(method, "@CachePut", "unless", put.unless(), name, true);
		CachePutOperation operation = new CachePutOperation(method, name, keyGenerator, condition, unless);
		List<CacheInvalidateOperation> invalidations = invalidates.isEmpty() ? List.of()
				: parseInvalidates(method, invalidates);
		return new PuttingOperation(operation, invalidations, this.registry::getCache);
	}

	private List<CacheInvalidateOperation> parseInvalidates(Method method, Set<CacheInvalidate> annotations) {
		List<CacheInvalidateOperation> operations = new ArrayList<>();
		String description = CacheRegistry.describe(method);
		for (CacheInvalidate invalidate : annotations) {
			CachedAnnotationValidator.checkInvalidate(method, invalidate);
			String name = invalidate.name().trim();
			KeyGenerator keyGenerator;
			CallExpression elements = null;
			CallExpression elementKey = null;
			if (invalidate.allEntries()) {
				keyGenerator = null;
			}
			else if (!invalidate.elements().isEmpty()) {
				keyGenerator = null;
				elements = parse(method, "@CacheInvalidate", "elements", invalidate.elements(), name,
						!invalidate.beforeInvocation());
				elementKey = invalidate.key().isEmpty() ? null : parse(method, "@CacheInvalidate", "key",
						invalidate.key(), name, !invalidate.beforeInvocation(), "element");
			}
			else {
				keyGenerator = invalidate.key().isEmpty() ? allArguments(method)
						: KeyGenerator.expression(parse(method, "@CacheInvalidate", "key", invalidate.key(), name,
								!invalidate.beforeInvocation()));
			}
			CallExpression condition = invalidate.condition().isEmpty() ? null
					: parse(method, "@CacheInvalidate", "condition", invalidate.condition(), name,
							!invalidate.beforeInvocation());
			operations.add(new CacheInvalidateOperation(name, keyGenerator, invalidate.beforeInvocation(), condition,
					description, (elements != null) ? new CacheInvalidateOperation.Elements(elements, elementKey)
							: null));
		}
		return operations;
	}

	/** The default key: the arguments of the method's source signature (no Continuation). */
	private static KeyGenerator allArguments(Method method) {
		return KeyGenerator.allArguments(MethodExpressions.parameterCount(method));
	}

	@Nullable Duration parseTtl(Method method, String annotation, String ttl) {
		if (ttl.isBlank()) {
			return null;
		}
		Duration duration;
		try {
			duration = this.durations.apply(ttl.trim());
		}
		catch (RuntimeException ex) {
			throw invalid(method, annotation, "has ttl \"" + ttl
					+ "\", which is not a duration; use a value such as 500ms, 30s, 10m or PT1H");
		}
		if (duration.isNegative()) {
			throw invalid(method, annotation, "has ttl \"" + ttl + "\", which is negative");
		}
		return duration;
	}

	private CallExpression parse(Method method, String annotation, String attribute, String expression,
			String cacheName, boolean resultAvailable) {
		return parse(method, annotation, attribute, expression, cacheName, resultAvailable, null);
	}

	/**
	 * Parse an expression of an annotation, with a variable bound per evaluation
	 * ({@code #element}, {@code #value}) or none.
	 * @throws IllegalStateException naming the annotation, the method, the attribute and
	 * the expression, if it does not parse
	 */
	CallExpression parse(Method method, String annotation, String attribute, String expression, String cacheName,
			boolean resultAvailable, @Nullable String bound) {
		try {
			return this.expressions.parse(method, expression, attribute + " expression '" + expression
					+ "' of cache '" + cacheName + "'", resultAvailable, bound);
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, annotation, "has an invalid " + attribute + " \"" + expression + "\": "
					+ ex.getMessage());
		}
	}

}
