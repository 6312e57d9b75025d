package dev.cached.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Empties every {@code @Cached} cache of the test's application context before and after
 * each test method, so that no test method sees a value that another one cached. Put it on
 * a Spring test class (for example next to {@code @SpringBootTest}); it is inherited by
 * subclasses and {@code @Nested} classes, and works as a meta-annotation.
 * <p>
 * Only the cached entries go: statistics are cumulative for the whole context, which
 * Spring's test context cache shares between test classes, so assert on their differences.
 * A context without caches ({@code cached.enabled=false}) is left alone.
 *
 * @see ClearCachedCachesTestExecutionListener
 */
@Target({ ElementType.TYPE, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
public @interface ClearCachedCaches {

}
