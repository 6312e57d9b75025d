package dev.cached.aop;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.engine.RemoteTier;
import dev.cached.expression.MethodExpressions;
import dev.cached.key.StableKeys;
import org.jspecify.annotations.Nullable;

import org.springframework.core.KotlinDetector;

/**
 * The rules that one annotated method must follow: a method the proxy can intercept, that
 * returns a value, combines only annotations that go together and names its caches; a
 * Kotlin {@code suspend} function only with {@code @Cached} or {@code @CachedAll}.
 * {@link CachedOperationParser} asks for each check just before it reads what the check
 * is about, so that a method with several problems always reports the same one first.
 * <p>
 * One rule needs the settings of the method's cache: with a tier shared by several
 * instances attached, a {@code @Cached} method of a remote cache needs a default key that
 * every instance can name the same way ({@link #remoteKeyProblem}).
 * <p>
 * Every problem is an {@link IllegalStateException} whose message starts with the
 * annotation and the method, e.g.
 * {@code @Cached on method 'com.example.RuleService.find(long)'}, and goes on with what
 * is wrong and what to do.
 */
final class CachedAnnotationValidator {

	private static final String REACTIVE_PUBLISHER = "org.reactivestreams.Publisher";

	private static final String FLOW_PUBLISHER = "java.util.concurrent.Flow$Publisher";

	private CachedAnnotationValidator() {
	}

	/**
	 * Check a {@code @Cached} method before its annotation is read.
	 * @param method the method
	 * @param invalidates whether it also has {@code @CacheInvalidate}
	 * @throws IllegalStateException if it breaks a rule
	 */
	static void checkCached(Method method, boolean invalidates) {
		if (invalidates) {
			throw invalid(method, "@Cached", "also has @CacheInvalidate; put them on different methods");
		}
		checkInterceptable(method, "@Cached");
		Class<?> returnType = method.getReturnType();
		if (returnType == void.class || returnType == Void.class) {
			throw invalid(method, "@Cached", "returns void, so there is nothing to cache; use @CacheInvalidate "
					+ "to remove entries, or return the value");
		}
	}

	/**
	 * Check a {@code @CachePut} method before its annotation is read.
	 * @param method the method
	 * @param put its annotation
	 * @param cached whether it also has {@code @Cached}
	 * @throws IllegalStateException if it breaks a rule
	 */
	static void checkPut(Method method, CachePut put, boolean cached) {
		if (cached) {
			throw invalid(method, "@CachePut", "also has @Cached; a method either reads through a cache or "
					+ "stores into it: put them on different methods");
		}
		checkInterceptable(method, "@CachePut");
		checkNotSuspending(method, "@CachePut", "its result exists only once the function resumes, after the "
				+ "proxy has returned; put the value from the function with CachedCaches.getCache(name).put(key, "
				+ "value), or annotate a function that is not suspend");
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
		if (put.name().trim().isEmpty()) {
			throw invalid(method, "@CachePut", "has an empty name; name the cache to store into");
		}
	}

	/**
	 * Check a method whose only annotations are {@code @CacheInvalidate}, before they are
	 * read.
	 * @param method the method
	 * @throws IllegalStateException if it breaks a rule
	 */
	static void checkInvalidating(Method method) {
		checkInterceptable(method, "@CacheInvalidate");
		checkNotSuspending(method, "@CacheInvalidate", "the proxy sees it return at its first suspension, "
				+ "before its work is done; invalidate from the function with "
				+ "CachedCaches.getCache(name).invalidate(key), or annotate a function that is not suspend");
	}

	/**
	 * Check one {@code @CacheInvalidate} of a method before it is read.
	 * @param method the method
	 * @param invalidate the annotation
	 * @throws IllegalStateException if it breaks a rule
	 */
	static void checkInvalidate(Method method, CacheInvalidate invalidate) {
		if (invalidate.name().trim().isEmpty()) {
			throw invalid(method, "@CacheInvalidate", "has an empty name; name the cache to invalidate");
		}
		if (invalidate.allEntries() && !invalidate.elements().isEmpty()) {
			throw invalid(method, "@CacheInvalidate", "sets both elements \"" + invalidate.elements()
					+ "\" and allEntries = true; use one of them");
		}
		if (invalidate.allEntries() && !invalidate.key().isEmpty()) {
			throw invalid(method, "@CacheInvalidate", "sets both key \"" + invalidate.key()
					+ "\" and allEntries = true; use one of them");
		}
	}

	/**
	 * Check a {@code @Cached} method read while a tier shared by several instances is
	 * attached (those read before are checked when the tier is attached, see
	 * {@link CachedMethodValidator#checkRemoteKeys()}).
	 * @param method the method that was read
	 * @param operation its operation
	 * @throws IllegalStateException if {@link #remoteKeyProblem} finds one
	 */
	static void checkRemoteKey(Method method, CachedOperation operation, @Nullable RemoteTier tier) {
		String problem = remoteKeyProblem(method, operation, tier);
		if (problem != null) {
			throw invalid(method, "@Cached", problem);
		}
	}

	/**
	 * Say what is wrong with a {@code @Cached} method for a tier shared by several
	 * instances: when its cache is remote, a default key (all parameters) needs a stable
	 * form ({@link StableKeys#isStableType}) for each parameter type (of a Kotlin
	 * {@code suspend} function, its declared parameters, without the {@code Continuation}).
	 * A key expression is not checked here: its values are checked when they are made.
	 * With the tier given, the values of its declared return type must be readable there
	 * ({@link RemoteTier#valueProblem}).
	 * @param method the method that was read
	 * @param operation its operation
	 * @param tier the tier, or {@code null} to check the key only
	 * @return the problem, to follow the method's name in a message, or {@code null}
	 */
	static @Nullable String remoteKeyProblem(Method method, CachedOperation operation, @Nullable RemoteTier tier) {
		CachedCache cache = operation.getCache();
		if (!cache.getSettings().isRemote()) {
			return null;
		}
		String values = (tier != null) ? tier.valueProblem(method) : null;
		if (values != null) {
			return "uses remote cache '" + cache.getName() + "' whose values " + values + ", or set cached.caches.["
					+ cache.getName() + "].remote=false";
		}
		if (!operation.hasDefaultKey()) {
			return null;
		}
		Class<?>[] types = method.getParameterTypes();
		for (int i = 0; i < MethodExpressions.parameterCount(method); i++) {
			Class<?> type = types[i];
			if (!StableKeys.isStableType(type)) {
				return "uses remote cache '" + cache.getName() + "' whose default key includes a parameter of type "
						+ type.getName() + ", which has no stable form across instances; give the method a key "
						+ "expression that yields strings, numbers, booleans, enums, UUIDs or records of those (e.g. "
						+ "key = \"#p0.id\"), or set cached.caches.[" + cache.getName() + "].remote=false";
			}
		}
		return null;
	}

	/**
	 * Say what is wrong with a {@code @CachedAll} method for a tier shared by several
	 * instances, as {@link #remoteKeyProblem} does for {@code @Cached}: when its cache is
	 * remote, its element values must be readable there, and with the default key (the
	 * element itself) the element type must have a stable form.
	 * @param method the method that was read
	 * @param operation its operation
	 * @param tier the tier, or {@code null} to check the key only
	 * @return the problem, to follow the method's name in a message, or {@code null}
	 */
	static @Nullable String remoteKeyProblem(Method method, CachedAllOperation operation, @Nullable RemoteTier tier) {
		CachedCache cache = operation.getCache();
		if (!cache.getSettings().isRemote()) {
			return null;
		}
		String values = (tier != null) ? tier.valueProblem(method) : null;
		if (values != null) {
			return "uses remote cache '" + cache.getName() + "' whose values " + values + ", or set cached.caches.["
					+ cache.getName() + "].remote=false";
		}
		Class<?> element = operation.elementType();
		if (element != null && !StableKeys.isStableType(element)) {
			return "uses remote cache '" + cache.getName() + "' whose keys are its elements, of type "
					+ element.getName() + ", which has no stable form across instances; give the method a key "
					+ "expression that yields strings, numbers, booleans, enums, UUIDs or records of those (e.g. "
					+ "key = \"#element.id\"), or set cached.caches.[" + cache.getName() + "].remote=false";
		}
		return null;
	}

	static void checkInterceptable(Method method, String annotation) {
		int modifiers = method.getModifiers();
		String problem = Modifier.isPrivate(modifiers) ? "private" : Modifier.isStatic(modifiers) ? "static"
				: Modifier.isFinal(modifiers) ? "final" : null;
		if (problem != null) {
			throw invalid(method, annotation, "is " + problem
					+ ", so the Spring proxy cannot intercept it; make it a public, non-final instance method"
					+ ((problem.equals("final") && KotlinDetector.isKotlinType(method.getDeclaringClass()))
							? " (in Kotlin: open, or apply the kotlin-spring compiler plugin)" : ""));
		}
	}

	/**
	 * Only {@code @Cached} and {@code @CachedAll} take a Kotlin {@code suspend} function
	 * (they hand the proxy a {@code Mono} to await): the others act when
	 * the function returns to the proxy, which for a suspend function is at its first
	 * suspension (with a marker, its real result arriving later through the
	 * continuation), so acting then would be silently wrong.
	 * @param why what goes wrong and what to do instead
	 */
	private static void checkNotSuspending(Method method, String annotation, String why) {
		if (KotlinDetector.isSuspendingFunction(method)) {
			throw invalid(method, annotation,
					"is a Kotlin suspend function, which only @Cached and @CachedAll support: " + why);
		}
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

	/**
	 * Return the exception for a problem with an annotated method.
	 * @param method the method
	 * @param annotation the annotation, e.g. {@code @Cached}
	 * @param problem what is wrong and what to do, to follow the method's name
	 * @return the exception, to throw
	 */
	static IllegalStateException invalid(Method method, String annotation, @Nullable String problem) {
		return new IllegalStateException(
				annotation + " on method '" + CacheRegistry.describe(method) + "' " + problem);
	}

}
