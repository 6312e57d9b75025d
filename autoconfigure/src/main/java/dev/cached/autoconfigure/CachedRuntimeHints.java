package dev.cached.autoconfigure;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.expression.MethodCallRootObject;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * The runtime hints of {@link CachedAutoConfiguration} for a native image: the caching
 * annotations, whose attributes the startup scan reads reflectively, and the root object
 * of every SpEL expression ({@code #root.method}, {@code #root.args},
 * {@code #root.target}, ...). Each annotated method and its parameter types are registered
 * per bean by {@link dev.cached.aot.CachedReflectiveProcessor}.
 */
class CachedRuntimeHints implements RuntimeHintsRegistrar {

	@Override
	public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
		for (Class<?> annotation : new Class<?>[] { Cached.class, CachedAll.class, CachePut.class, CacheInvalidate.class,
				CacheInvalidate.List.class }) {
			hints.reflection().registerType(annotation, MemberCategory.INVOKE_DECLARED_METHODS);
		}
		hints.reflection().registerType(MethodCallRootObject.class, MemberCategory.INVOKE_PUBLIC_METHODS);
	}

}
