package dev.cached;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.cached.aot.CachedReflectiveProcessor;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Removes an entry (or all entries) of a {@link Cached @Cached} cache when the annotated
 * method runs: after it returns normally, or before it runs when
 * {@link #beforeInvocation()} is {@code true}. A load of that key that is running at that
 * moment still answers its callers, but its result is not stored.
 * <p>
 * Repeat the annotation to invalidate several caches.
 *
 * <pre class="code">
 * &#64;CacheInvalidate(name = "RuleService.getAllRules", allEntries = true)
 * public void reload() { ... }
 * </pre>
 */
@Target({ ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Repeatable(CacheInvalidate.List.class)
@Reflective(CachedReflectiveProcessor.class)
public @interface CacheInvalidate {

	/**
	 * The name of the cache to invalidate, as {@link Cached#name()} resolves it (for
	 * example {@code RuleService.getAllRules}).
	 * @return the cache name
	 */
	String name();

	/**
	 * SpEL expression for the key to remove, over this method's call ({@code #result} is
	 * available unless {@link #beforeInvocation()}; for an {@code Optional} result it is
	 * the value inside, or {@code null}). {@code ""} means all arguments, as for
	 * {@link Cached#key()}.
	 * @return the key expression
	 */
	String key() default "";

	/**
	 * SpEL expression naming an argument that holds several elements (an {@code Iterable}
	 * or an array), e.g. {@code #ids}: each element is invalidated, its key computed by
	 * {@link #key()} with {@code #element} bound to it ({@code ""}: the element itself), as
	 * a {@link CachedAll @CachedAll} method computes it. {@code ""} means one key.
	 * @return the elements expression
	 */
	String elements() default "";

	/**
	 * Whether to remove every entry of the cache instead of one key.
	 * @return whether all entries are removed
	 */
	boolean allEntries() default false;

	/**
	 * Whether to invalidate before the method runs, so that it happens even if the method
	 * throws.
	 * @return whether to invalidate before the invocation
	 */
	boolean beforeInvocation() default false;

	/**
	 * SpEL expression deciding whether this call invalidates: {@code false} means it
	 * does not. Evaluated before the method runs when {@link #beforeInvocation()},
	 * otherwise after it returned, with {@code #result} available. {@code ""} means
	 * always invalidate. Parsed and checked at startup, as Spring's
	 * {@code @CacheEvict(condition = ...)}.
	 * @return the condition expression
	 */
	String condition() default "";

	/**
	 * Holds repeated {@link CacheInvalidate} annotations.
	 */
	@Target({ ElementType.METHOD })
	@Retention(RetentionPolicy.RUNTIME)
	@Documented
	@Reflective(CachedReflectiveProcessor.class)
	@interface List {

		/**
		 * The repeated annotations.
		 * @return the annotations
		 */
		CacheInvalidate[] value();

	}

}
