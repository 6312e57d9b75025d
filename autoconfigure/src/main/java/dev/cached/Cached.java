package dev.cached;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.cached.aot.CachedReflectiveProcessor;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Caches the result of a Spring bean method, with single flight: while the method runs
 * for a key, every other call for that key waits for that one execution and shares its
 * outcome, value or exception. Failures are never stored.
 * <p>
 * The method must be called through the bean (the Spring AOP proxy), not through
 * {@code this}. It must return a value: {@code @Cached} on a {@code void} method fails
 * application startup, as do a malformed expression or duration.
 *
 * <pre class="code">
 * &#64;Cached(ttl = "5m")
 * public List&lt;Rule&gt; getAllRules() { ... }
 *
 * &#64;Cached(key = "#id")
 * public Rule getRule(String id) { ... }
 * </pre>
 *
 * @see CacheInvalidate
 */
@Target({ ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective(CachedReflectiveProcessor.class)
public @interface Cached {

	/**
	 * The cache name. {@code ""} means {@code <SimpleClassName>.<methodName>} of the
	 * declaring class, e.g. {@code RuleService.getAllRules}. Methods that name the same
	 * cache share it.
	 * @return the cache name
	 */
	String name() default "";

	/**
	 * SpEL expression for the key: {@code #paramName}, {@code #p0}/{@code #a0},
	 * {@code #root.args}, {@code #root.method}, {@code #root.target}, {@code @beanName}.
	 * {@code ""} means all arguments: a no-arg method has one entry, a one-argument
	 * method's key is that argument, several arguments form a composite key compared
	 * deeply.
	 * @return the key expression
	 */
	String key() default "";

	/**
	 * Time to live after the entry is written, as a duration such as {@code 500ms},
	 * {@code 30s}, {@code 10m} or {@code PT1H}, read as Spring Boot reads a duration
	 * property (a bare number is milliseconds). {@code ""} means from configuration.
	 * {@code cached.caches.<name>.ttl} takes precedence over this value.
	 * @return the time to live
	 */
	String ttl() default "";

	/**
	 * SpEL expression evaluated before the call; {@code false} means this call bypasses
	 * the cache completely. {@code ""} means always cache.
	 * @return the condition expression
	 */
	String condition() default "";

	/**
	 * SpEL expression evaluated after the method returned, with {@code #result} (for an
	 * {@code Optional} result, the value inside it, or {@code null} when it is empty, as
	 * in Spring's {@code @Cacheable}); {@code true} means the result is not stored
	 * (callers already joined to this load still get it). {@code ""} means always store.
	 * @return the veto expression
	 */
	String unless() default "";

}
