package dev.cached.aop;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.async.AsyncResultAdapters;
import dev.cached.engine.CacheRegistry;
import dev.cached.expression.MethodExpressions;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.format.datetime.standard.DurationFormatterUtils;
import org.springframework.util.ClassUtils;

/**
 * The operations of annotated methods, by method: the lookup table that the advice asks
 * on every call. A method is read once, by a {@link CachedOperationParser} (which checks
 * it with {@link CachedAnnotationValidator}), at the first lookup of that method,
 * whichever comes first: the startup scan ({@link CachedMethodValidator}), the proxy's
 * pointcut or a call. An annotation on an interface method or a superclass method applies
 * to the implementation. A method whose annotations are invalid fails its lookup with an
 * {@link IllegalStateException} that names the method and the offending value.
 * <p>
 * It also keeps what the checks across methods need once every method is read: the
 * {@code @CachePut} and {@code @CacheInvalidate} annotations and the {@code @Cached}
 * operations read so far.
 */
public class CachedOperationSource {

	private static final Set<Class<? extends java.lang.annotation.Annotation>> ANNOTATIONS = Set.of(Cached.class,
			CachedAll.class, CachePut.class, CacheInvalidate.class, CacheInvalidate.List.class);

	private static final Object NONE = new Object();

	private static final int MAX_FAST_BINDINGS = 4096;

	private final CacheRegistry registry;

	private final CachedOperationParser parser;

	/** Operations by the most specific (implementation) method; NONE when unannotated. */
	private final ConcurrentHashMap<Method, Object> bySpecificMethod = new ConcurrentHashMap<>();

	/** The hot path: operations by the invoked method, then by target class. */
	private final ConcurrentHashMap<Method, Binding> byInvokedMethod = new ConcurrentHashMap<>();

	/** Every {@code @CacheInvalidate} read so far, added as its method's operation is kept. */
	private final List<CacheInvalidateOperation> invalidations = new CopyOnWriteArrayList<>();

	/** Every {@code @CachePut} read so far, added as its method's operation is kept. */
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
		this.parser = new CachedOperationParser(registry, expressions, durations, asyncResults);
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
	 * Whether a method itself carries one of our annotations, or an annotation
	 * meta-annotated with one, not looking at the methods it overrides.
	 * @param method the method
	 * @return whether it is annotated
	 */
	public static boolean isDirectlyAnnotated(Method method) {
		MergedAnnotations annotations = MergedAnnotations.from(method, MergedAnnotations.SearchStrategy.DIRECT);
		for (Class<? extends java.lang.annotation.Annotation> type : ANNOTATIONS) {
			if (annotations.isPresent(type)) {
				return true;
			}
		}
		return false;
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
	 * Return every {@code @Cached} operation read so far, by the method that was read (the
	 * most specific one, e.g. the implementation of an interface method).
	 * @return the operations
	 */
	Map<Method, CachedOperation> getCachedOperations() {
		Map<Method, CachedOperation> operations = new LinkedHashMap<>();
		this.bySpecificMethod.forEach((method, operation) -> {
			if (operation instanceof CachedOperation cached) {
				operations.put(method, cached);
			}
		});
		return operations;
	}

	/**
	 * Return every {@code @CachedAll} operation read so far, by the method that was read.
	 * @return the operations
	 */
	Map<Method, CachedAllOperation> getBulkOperations() {
		Map<Method, CachedAllOperation> operations = new LinkedHashMap<>();
		this.bySpecificMethod.forEach((method, operation) -> {
			if (operation instanceof CachedAllOperation bulk) {
				operations.put(method, bulk);
			}
		});
		return operations;
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
			MethodOperation parsed = this.parser.parse(specific, method);
			Object existing = this.bySpecificMethod.putIfAbsent(specific, (parsed != null) ? parsed : NONE);
			if (existing != null) {
				operation = existing;
			}
			else {
				keepForChecks(parsed);
				operation = (parsed != null) ? parsed : NONE;
			}
		}
		return (operation != NONE) ? (MethodOperation) operation : null;
	}

	private void keepForChecks(@Nullable MethodOperation operation) {
		if (operation instanceof PuttingOperation putting) {
			this.invalidations.addAll(putting.getInvalidations());
			this.puts.add(putting.getPut());
		}
		else if (operation instanceof InvalidatingOperation invalidating) {
			this.invalidations.addAll(invalidating.getOperations());
		}
	}

	private record FastBinding(Method method, @Nullable Class<?> targetClass, @Nullable MethodOperation operation) {
	}

	private record Binding(@Nullable Class<?> targetClass, @Nullable MethodOperation operation,
			@Nullable Binding next) {
	}

}
