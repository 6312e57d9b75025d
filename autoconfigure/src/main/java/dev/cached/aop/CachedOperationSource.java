package dev.cached.aop;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.function.Function;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.async.AsyncResultAdapter;
import dev.cached.async.AsyncResultAdapters;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.expression.CallExpression;
import dev.cached.expression.MethodExpressions;
import dev.cached.key.KeyGenerator;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.format.datetime.standard.DurationFormatterUtils;
import org.springframework.util.ClassUtils;

/**
 * Reads {@code @Cached}, {@code @CachePut} and {@code @CacheInvalidate} into operations,
 * checks them, and remembers them per method. An annotation on an interface method or a
 * superclass method applies to the implementation. Every problem is an
 * {@link IllegalStateException} that names the method and the offending value.
 */
public class CachedOperationSource {

	private static final Set<Class<? extends java.lang.annotation.Annotation>> ANNOTATIONS = Set.of(Cached.class,
			CachePut.class, CacheInvalidate.class, CacheInvalidate.List.class);

	private static final Object NONE = new Object();

	private static final String KOTLIN_CONTINUATION = "kotlin.coroutines.Continuation";

	private static final String REACTIVE_PUBLISHER = "org.reactivestreams.Publisher";

	private static final String FLOW_PUBLISHER = "java.util.concurrent.Flow$Publisher";

	private static final int MAX_FAST_BINDINGS = 4096;

	private final CacheRegistry registry;

	private final MethodExpressions expressions;

	private final Function<String, Duration> durations;

	private final AsyncResultAdapters asyncResults;

	/** Operations by the most specific (implementation) method; NONE when unannotated. */
	private final ConcurrentHashMap<Method, Object> bySpecificMethod = new ConcurrentHashMap<>();

	/** The hot path: operations by the invoked method, then by target class. */
	private final ConcurrentHashMap<Method, Binding> byInvokedMethod = new ConcurrentHashMap<>();

	private final List<CacheInvalidateOperation> invalidations = new CopyOnWriteArrayList<>();

	private final List<CachePutOperation> puts = new CopyOnWriteArrayList<>();

	/**
	 * The hottest path: operations by the identity of the invoked {@code Method}
	 * instance (a proxy passes the same instance on every call) and the target class.
	 * An open-addressing table, at most half full, replaced as a whole under
	 * {@code this} when an entry is added and read without locking; it stops growing at
	 * {@link #MAX_FAST_BINDINGS}, after which lookups fall back to
	 * {@link #byInvokedMethod}.
	 */
	private volatile @Nullable FastBinding[] fastBindings = new FastBinding[64];

	/** Entries in {@link #fastBindings}; written under {@code this}. */
	private int fastBindingCount;

	/**
	 * Create a source that reads durations in annotations with Spring Framework's
	 * {@link DurationFormatterUtils#detectAndParse(String)}.
	 * @param registry the caches, created as methods register
	 * @param expressions the expression parser
	 */
	public CachedOperationSource(CacheRegistry registry, MethodExpressions expressions) {
		this(registry, expressions, DurationFormatterUtils::detectAndParse);
	}

	/**
	 * Create a source.
	 * @param registry the caches, created as methods register
	 * @param expressions the expression parser
	 * @param durations reads a duration in an annotation ({@code @Cached(ttl=…)}), and
	 * throws an exception if the text is not one; with Spring Boot, its own rules for
	 * durations in properties, so that an annotation and {@code application.yml} accept
	 * the same texts
	 */
	public CachedOperationSource(CacheRegistry registry, MethodExpressions expressions,
			Function<String, Duration> durations) {
		this(registry, expressions, durations,
				AsyncResultAdapters.detect(CachedOperationSource.class.getClassLoader()));
	}

	/**
	 * Create a source.
	 * @param registry the caches, created as methods register
	 * @param expressions the expression parser
	 * @param durations reads a duration in an annotation, as above
	 * @param asyncResults the asynchronous return types that methods may declare
	 */
	public CachedOperationSource(CacheRegistry registry, MethodExpressions expressions,
			Function<String, Duration> durations, AsyncResultAdapters asyncResults) {
		this.registry = registry;
		this.expressions = expressions;
		this.durations = durations;
		this.asyncResults = asyncResults;
	}

	/**
	 * Whether a class may carry our annotations at all (a cheap first filter).
	 * @param type the class
	 * @return {@code false} if it certainly does not
	 */
	public static boolean isCandidateClass(Class<?> type) {
		return AnnotationUtils.isCandidateClass(type, ANNOTATIONS);
	}

	/**
	 * Whether a method carries one of our annotations, directly or on a method it
	 * overrides or implements.
	 * @param method the method
	 * @return whether it is annotated
	 */
	public static boolean isAnnotated(Method method) {
		for (Class<? extends java.lang.annotation.Annotation> type : ANNOTATIONS) {
			if (AnnotatedElementUtils.hasAnnotation(method, type)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Return the operation for a call of {@code method} on a target of
	 * {@code targetClass}.
	 * @param method the invoked method (possibly an interface method)
	 * @param targetClass the class of the target, or {@code null}
	 * @return the operation, or {@code null} if the method is not annotated
	 * @throws IllegalStateException if the annotations are invalid
	 */
	public @Nullable MethodOperation getOperation(Method method, @Nullable Class<?> targetClass) {
		@Nullable FastBinding[] table = this.fastBindings;
		int mask = table.length - 1;
		for (int i = System.identityHashCode(method) & mask;; i = (i + 1) & mask) {
			FastBinding fast = table[i];
			if (fast == null) {
				break;
			}
			if (fast.method == method && fast.targetClass == targetClass) {
				return fast.operation;
			}
		}
		MethodOperation operation = findOperation(method, targetClass);
		remember(method, targetClass, operation);
		return operation;
	}

	/**
	 * Return the operation like {@link #getOperation(Method, Class)}, without remembering
	 * this {@code Method} instance on the call path: for pointcut matching, which sees
	 * instances that calls never use.
	 * @param method the method (possibly an interface method)
	 * @param targetClass the class of the target, or {@code null}
	 * @return the operation, or {@code null} if the method is not annotated
	 * @throws IllegalStateException if the annotations are invalid
	 */
	@Nullable MethodOperation findOperation(Method method, @Nullable Class<?> targetClass) {
		for (Binding binding = this.byInvokedMethod.get(method); binding != null; binding = binding.next) {
			if (binding.targetClass == targetClass) {
				return binding.operation;
			}
		}
		MethodOperation operation = resolve(method, targetClass);
		this.byInvokedMethod.compute(method, (key, head) -> {
			for (Binding binding = head; binding != null; binding = binding.next) {
				if (binding.targetClass == targetClass) {
					return head;
				}
			}
			return new Binding(targetClass, operation, head);
		});
		return operation;
	}

	private synchronized void remember(Method method, @Nullable Class<?> targetClass,
			@Nullable MethodOperation operation) {
		@Nullable FastBinding[] table = this.fastBindings;
		if (this.fastBindingCount >= MAX_FAST_BINDINGS || contains(table, method, targetClass)) {
			return;
		}
		int length = (2 * (this.fastBindingCount + 1) > table.length) ? table.length * 2 : table.length;
		@Nullable FastBinding[] copy = new FastBinding[length];
		for (FastBinding fast : table) {
			if (fast != null) {
				insert(copy, fast);
			}
		}
		insert(copy, new FastBinding(method, targetClass, operation));
		this.fastBindingCount++;
		this.fastBindings = copy;
	}

	private static boolean contains(@Nullable FastBinding[] table, Method method, @Nullable Class<?> targetClass) {
		for (FastBinding fast : table) {
			if (fast != null && fast.method == method && fast.targetClass == targetClass) {
				return true;
			}
		}
		return false;
	}

	private static void insert(@Nullable FastBinding[] table, FastBinding fast) {
		int mask = table.length - 1;
		int i = System.identityHashCode(fast.method) & mask;
		while (table[i] != null) {
			i = (i + 1) & mask;
		}
		table[i] = fast;
	}

	/**
	 * Return every {@code @CacheInvalidate} read so far.
	 * @return the invalidations
	 */
	public List<CacheInvalidateOperation> getInvalidations() {
		return List.copyOf(this.invalidations);
	}

	/**
	 * Return every {@code @CachePut} read so far.
	 * @return the puts
	 */
	public List<CachePutOperation> getPuts() {
		return List.copyOf(this.puts);
	}

	/**
	 * Check that every {@code @CachePut} read so far stores a value of a type the
	 * {@code @Cached} methods of its cache can return: a type that is neither a subtype nor
	 * a supertype of such a method's return type would reach its callers as a
	 * {@link ClassCastException}.
	 * @throws IllegalStateException naming both methods and both types
	 */
	void checkPutTypes() {
		for (CachePutOperation put : this.puts) {
			Class<?> stored = ClassUtils.resolvePrimitiveIfNecessary(put.getMethod().getReturnType());
			for (Object operation : this.bySpecificMethod.values()) {
				if (operation instanceof CachedOperation cached
						&& cached.getCache().getName().equals(put.getCacheName())) {
					Class<?> read = ClassUtils.resolvePrimitiveIfNecessary(cached.getValueType());
					if (!read.isAssignableFrom(stored) && !stored.isAssignableFrom(read)) {
						throw invalid(put.getMethod(), "@CachePut", "stores " + stored.getName() + " into cache '"
								+ put.getCacheName() + "', whose @Cached method '"
								+ CacheRegistry.describe(cached.getMethod()) + "' returns " + read.getName()
								+ "; return the type that the @Cached method returns");
					}
				}
			}
		}
	}

	/**
	 * Return the cache registry.
	 * @return the registry
	 */
	public CacheRegistry getRegistry() {
		return this.registry;
	}

	private @Nullable MethodOperation resolve(Method method, @Nullable Class<?> targetClass) {
		Class<?> userClass = (targetClass != null) ? ClassUtils.getUserClass(targetClass) : null;
		// A JDK proxy bean (an HTTP interface client, for example) has no implementation
		// to read: its own methods are final stand-ins, so the interface method counts.
		Method specific = (userClass != null && Proxy.isProxyClass(userClass)) ? method
				: AopUtils.getMostSpecificMethod(method, userClass);
		Object operation = this.bySpecificMethod.get(specific);
		if (operation == null) {
			operation = build(specific, method);
			Object existing = this.bySpecificMethod.putIfAbsent(specific, operation);
			operation = (existing != null) ? existing : operation;
		}
		return (operation != NONE) ? (MethodOperation) operation : null;
	}

	private Object build(Method specific, Method invoked) {
		Method annotated = specific;
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
		if (cached == null && put == null && invalidates.isEmpty()) {
			return NONE;
		}
		if (put != null) {
			if (cached != null) {
				throw invalid(specific, "@CachePut", "also has @Cached; a method either reads through a cache or "
						+ "stores into it: put them on different methods");
			}
			checkInterceptable(specific, "@CachePut");
			checkNotSuspending(specific, "@CachePut");
			return buildPut(specific, put, invalidates);
		}
		String annotationName = (cached != null) ? "@Cached" : "@CacheInvalidate";
		if (cached != null && !invalidates.isEmpty()) {
			throw invalid(specific, annotationName,
					"also has @CacheInvalidate; put them on different methods");
		}
		checkInterceptable(specific, annotationName);
		checkNotSuspending(specific, annotationName);
		return (cached != null) ? buildCached(specific, annotated, cached) : buildInvalidating(specific, invalidates);
	}

	private void checkInterceptable(Method method, String annotation) {
		int modifiers = method.getModifiers();
		String problem = Modifier.isPrivate(modifiers) ? "private" : Modifier.isStatic(modifiers) ? "static"
				: Modifier.isFinal(modifiers) ? "final" : null;
		if (problem != null) {
			throw invalid(method, annotation, "is " + problem
					+ ", so the Spring proxy cannot intercept it; make it a public, non-final instance method");
		}
	}

	/**
	 * A Kotlin {@code suspend} function returns to the proxy at its first suspension
	 * (with a marker, its real result arriving later through the continuation): caching
	 * or invalidating around that return would be silently wrong.
	 */
	private void checkNotSuspending(Method method, String annotation) {
		Class<?>[] types = method.getParameterTypes();
		if (types.length > 0 && KOTLIN_CONTINUATION.equals(types[types.length - 1].getName())) {
			throw invalid(method, annotation, "is a Kotlin suspend function, which cannot be cached or invalidated: "
					+ "the proxy sees it return at its first suspension, before its result exists; annotate a "
					+ "function that is not suspend instead");
		}
	}

	private CachedOperation buildCached(Method method, Method annotated, Cached cached) {
		Class<?> returnType = method.getReturnType();
		if (returnType == void.class || returnType == Void.class) {
			throw invalid(method, "@Cached", "returns void, so there is nothing to cache; use @CacheInvalidate "
					+ "to remove entries, or return the value");
		}
		AsyncResultAdapter async;
		try {
			async = this.asyncResults.forReturnType(returnType);
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, "@Cached", ex.getMessage());
		}
		boolean defaultName = cached.name().isBlank();
		String name = defaultName ? method.getDeclaringClass().getSimpleName() + "." + method.getName()
				: cached.name().trim();
		Duration ttl = parseTtl(method, cached.ttl());
		KeyGenerator keyGenerator = cached.key().isEmpty() ? KeyGenerator.allArguments(method.getParameterCount())
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
		return new CachedOperation(annotated, cache, keyGenerator, condition, unless, async);
	}

	private PuttingOperation buildPut(Method method, CachePut put, Set<CacheInvalidate> invalidates) {
		Class<?> returnType = method.getReturnType();
		if (returnType == void.class || returnType == Void.class) {
			throw invalid(method, "@CachePut", "returns void, so there is nothing to store; use @CacheInvalidate "
					+ "to remove entries, or return the value");
		}
		if (Future.class.isAssignableFrom(returnType) || CompletionStage.class.isAssignableFrom(returnType)
				|| isPublisher(returnType)) {
			throw invalid(method, "@CachePut", "returns " + returnType.getName()
					+ "; asynchronous results are not supported by @CachePut, put a method that returns the value "
					+ "itself");
		}
		String name = put.name().trim();
		if (name.isEmpty()) {
			throw invalid(method, "@CachePut", "has an empty name; name the cache to store into");
		}
		KeyGenerator keyGenerator = put.key().isEmpty() ? KeyGenerator.allArguments(method.getParameterCount())
				: KeyGenerator.expression(parse(method, "@CachePut", "key", put.key(), name, true));
		CallExpression condition = put.condition().isEmpty() ? null
				: parse(method, "@CachePut", "condition", put.condition(), name, true);
		CallExpression unless = put.unless().isEmpty() ? null
				: parse(method, "@CachePut", "unless", put.unless(), name, true);
		CachePutOperation operation = new CachePutOperation(method, name, keyGenerator, condition, unless);
		List<CacheInvalidateOperation> invalidations = invalidates.isEmpty() ? List.of()
				: invalidations(method, invalidates);
		this.puts.add(operation);
		return new PuttingOperation(operation, invalidations, this.registry::getCache);
	}

	/**
	 * Whether {@code type} is a Reactive Streams {@code Publisher} (or the JDK's
	 * {@code Flow.Publisher}), without needing that API.
	 */
	private static boolean isPublisher(@Nullable Class<?> type) {
		if (type == null) {
			return false;
		}
		if (REACTIVE_PUBLISHER.equals(type.getName()) || FLOW_PUBLISHER.equals(type.getName())) {
			return true;
		}
		for (Class<?> candidate : type.getInterfaces()) {
			if (isPublisher(candidate)) {
				return true;
			}
		}
		return isPublisher(type.getSuperclass());
	}

	private InvalidatingOperation buildInvalidating(Method method, Set<CacheInvalidate> annotations) {
		return new InvalidatingOperation(invalidations(method, annotations), this.registry::getCache);
	}

	private List<CacheInvalidateOperation> invalidations(Method method, Set<CacheInvalidate> annotations) {
		List<CacheInvalidateOperation> operations = new ArrayList<>();
		String description = CacheRegistry.describe(method);
		for (CacheInvalidate invalidate : annotations) {
			String name = invalidate.name().trim();
			if (name.isEmpty()) {
				throw invalid(method, "@CacheInvalidate", "has an empty name; name the cache to invalidate");
			}
			KeyGenerator keyGenerator;
			if (invalidate.allEntries()) {
				if (!invalidate.key().isEmpty()) {
					throw invalid(method, "@CacheInvalidate", "sets both key \"" + invalidate.key()
							+ "\" and allEntries = true; use one of them");
				}
				keyGenerator = null;
			}
			else {
				keyGenerator = invalidate.key().isEmpty() ? KeyGenerator.allArguments(method.getParameterCount())
						: KeyGenerator.expression(parse(method, "@CacheInvalidate", "key", invalidate.key(), name,
								!invalidate.beforeInvocation()));
			}
			CallExpression condition = invalidate.condition().isEmpty() ? null
					: parse(method, "@CacheInvalidate", "condition", invalidate.condition(), name,
							!invalidate.beforeInvocation());
			operations.add(new CacheInvalidateOperation(name, keyGenerator, invalidate.beforeInvocation(), condition,
					description));
		}
		this.invalidations.addAll(operations);
		return operations;
	}

	private @Nullable Duration parseTtl(Method method, String ttl) {
		if (ttl.isBlank()) {
			return null;
		}
		Duration duration;
		try {
			duration = this.durations.apply(ttl.trim());
		}
		catch (RuntimeException ex) {
			throw invalid(method, "@Cached", "has ttl \"" + ttl
					+ "\", which is not a duration; use a value such as 500ms, 30s, 10m or PT1H");
		}
		if (duration.isNegative()) {
			throw invalid(method, "@Cached", "has ttl \"" + ttl + "\", which is negative");
		}
		return duration;
	}

	private CallExpression parse(Method method, String annotation, String attribute, String expression,
			String cacheName, boolean resultAvailable) {
		try {
			return this.expressions.parse(method, expression, attribute + " expression '" + expression
					+ "' of cache '" + cacheName + "'", resultAvailable);
		}
		catch (IllegalArgumentException ex) {
			throw invalid(method, annotation, "has an invalid " + attribute + " \"" + expression + "\": "
					+ ex.getMessage());
		}
	}

	private static IllegalStateException invalid(Method method, String annotation, @Nullable String problem) {
		return new IllegalStateException(
				annotation + " on method '" + CacheRegistry.describe(method) + "' " + problem);
	}

	private record FastBinding(Method method, @Nullable Class<?> targetClass, @Nullable MethodOperation operation) {
	}

	private record Binding(@Nullable Class<?> targetClass, @Nullable MethodOperation operation,
			@Nullable Binding next) {
	}

}
