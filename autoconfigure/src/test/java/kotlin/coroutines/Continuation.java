package kotlin.coroutines;

/**
 * Stands in for Kotlin's {@code Continuation} (the hidden last parameter of a
 * {@code suspend} function as Java sees it), so that suspend functions can be tested
 * without Kotlin on the classpath.
 *
 * @param <T> the result type
 */
public interface Continuation<T> {

}
