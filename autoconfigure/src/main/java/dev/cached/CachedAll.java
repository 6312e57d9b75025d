package dev.cached;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.cached.aot.CachedReflectiveProcessor;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Caches a method that loads many elements at once <em>per element</em>, in the same
 * cache and under the same keys as the one-at-a-time {@link Cached @Cached} method: each
 * element whose key is stored is answered from the store, each element whose key is being
 * loaded right now (by a {@code @Cached} call, another {@code @CachedAll} call or, for a
 * remote cache, another instance) is joined, and the method runs once with the remaining
 * elements only. Every concurrency guarantee of {@code @Cached} holds per element.
 *
 * <pre class="code">
 * &#64;Cached(name = "users")                          // key: the id
 * public User findUser(long id) { ... }
 *
 * &#64;CachedAll(name = "users")                       // each id its own entry, shared with findUser
 * public Map&lt;Long, User&gt; findUsers(Collection&lt;Long&gt; ids) { ... }
 *
 * &#64;CachedAll(name = "users", valueKey = "#value.id")
 * public List&lt;User&gt; findAllById(Iterable&lt;Long&gt; ids) { ... }
 * </pre>
 *
 * The method receives the missing elements as a new collection of its parameter's type
 * ({@code List}, {@code Collection}, {@code Iterable}: an {@code ArrayList}; {@code Set}:
 * a {@code LinkedHashSet}) in the caller's order, without duplicates. A {@code Map} return
 * holds every requested element that has a value, in the caller's order; a {@code List}
 * return their values in the caller's order. An element the method's answer leaves out has
 * no value (with {@code cache-null-values} that absence is stored). A {@code @Cached} and a
 * {@code @CachedAll} method share entries only when both compute equal keys. The cache's
 * settings ({@code cached.caches.<name>.*}) apply to every entry, whichever method wrote
 * it.
 *
 * @see Cached
 */
@Target({ ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective(CachedReflectiveProcessor.class)
public @interface CachedAll {

	/**
	 * The cache name. {@code ""} means {@code <SimpleClassName>.<methodName>} of the
	 * declaring class, as for {@link Cached#name()}. A {@code @Cached} method that names
	 * the same cache shares its entries.
	 * @return the cache name
	 */
	String name() default "";

	/**
	 * SpEL expression naming the argument that holds the elements, e.g. {@code #ids}.
	 * {@code ""} means the only parameter whose type is an {@code Iterable} (a
	 * {@code Collection}, {@code Set}, {@code List} or {@code Iterable}).
	 * @return the elements expression
	 */
	String elements() default "";

	/**
	 * SpEL expression giving one element's key, with {@code #element} bound to the element
	 * and the call's arguments visible as in {@link Cached#key()}. {@code ""} means the
	 * element itself (the key a one-argument {@code @Cached} method makes of it).
	 * @return the key expression
	 */
	String key() default "";

	/**
	 * For a method that returns a {@code List} or {@code Collection} of values: SpEL over
	 * {@code #value} giving the element a value belongs to, e.g. {@code #value.id}.
	 * Required there, not allowed with a {@code Map} return.
	 * @return the value key expression
	 */
	String valueKey() default "";

	/**
	 * Time to live after an entry is written, as for {@link Cached#ttl()}. Methods that
	 * share a cache declare the same ttl (a {@code @Cached} and a {@code @CachedAll} method
	 * alike), unless {@code cached.caches.<name>.ttl} decides it.
	 * @return the time to live
	 */
	String ttl() default "";

	/**
	 * SpEL expression evaluated before the call; {@code false} means this call bypasses
	 * the cache completely.
	 * @return the condition expression
	 */
	String condition() default "";

	/**
	 * SpEL expression evaluated for each element's value, as {@code #result};
	 * {@code true} means that value is not stored (callers already joined to its load
	 * still get it).
	 * @return the veto expression
	 */
	String unless() default "";

}
