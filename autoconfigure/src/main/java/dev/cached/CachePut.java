package dev.cached;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.cached.aot.CachedReflectiveProcessor;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Stores the result of a Spring bean method in a {@link Cached @Cached} cache: the method
 * runs on every call, and after it returns normally its result replaces the entry for
 * {@link #key()} in cache {@link #name()}, so the next {@code @Cached} call for that key
 * gets it without running its own method.
 * <p>
 * A put wins over a load of the same key that is running at that moment: that load
 * still answers its callers, but its result is not stored (as after an invalidation).
 * A method that throws stores nothing. A {@code null} result (or an empty
 * {@code Optional}) in a cache that does not store {@code null} removes the entry
 * instead.
 * <p>
 * The method must return the value to store: {@code @CachePut} on a {@code void} method,
 * or together with {@code @Cached} on one method, fails application startup, as do a
 * malformed expression and a name that no {@code @Cached} method uses. It may be
 * combined with {@link CacheInvalidate @CacheInvalidate} on the same method.
 *
 * <pre class="code">
 * &#64;CachePut(name = "RuleService.getRule", key = "#rule.id")
 * public Rule save(Rule rule) { ... }
 * </pre>
 *
 * @see Cached
 * @see CacheInvalidate
 */
@Target({ ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective(CachedReflectiveProcessor.class)
public @interface CachePut {

	/**
	 * The name of the cache to store into, as {@link Cached#name()} resolves it (for
	 * example {@code RuleService.getRule}).
	 * @return the cache name
	 */
	String name();

	/**
	 * SpEL expression for the key, over this method's call; {@code #result} is the
	 * method's result. {@code ""} means all arguments, as for {@link Cached#key()}.
	 * @return the key expression
	 */
	String key() default "";

	/**
	 * SpEL expression evaluated after the method returned, with {@code #result};
	 * {@code false} means the result is not stored and the cache is left as it is.
	 * {@code ""} means always store.
	 * @return the condition expression
	 */
	String condition() default "";

	/**
	 * SpEL expression evaluated after the method returned, with {@code #result};
	 * {@code true} means the result is not stored and the cache is left as it is.
	 * {@code ""} means always store.
	 * @return the veto expression
	 */
	String unless() default "";

}
