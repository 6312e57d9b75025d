package dev.cached.aot;

import java.lang.reflect.Method;
import java.lang.reflect.Type;

import dev.cached.CachedAll;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.ReflectionHints;
import org.springframework.aot.hint.annotation.Reflective;
import org.springframework.aot.hint.annotation.SimpleReflectiveProcessor;

/**
 * The {@link Reflective} processor of the caching annotations: Spring's AOT step calls it
 * for every method of a bean that carries one. It registers the method for reflective
 * invocation (the startup scan reads the method and its annotation, and its parameter
 * names, which SpEL expressions such as {@code #id} use), and binding hints for its
 * parameter types, so that an expression may read their properties
 * ({@code key = "#rule.id"}) in a native image too; for a {@code @CachedAll} method, also
 * for its return type, whose values {@code valueKey} reads ({@code #value.id}).
 */
public class CachedReflectiveProcessor extends SimpleReflectiveProcessor {

	private final BindingReflectionHintsRegistrar bindingRegistrar = new BindingReflectionHintsRegistrar();

	@Override
	protected void registerMethodHint(ReflectionHints hints, Method method) {
		super.registerMethodHint(hints, method);
		Type[] parameterTypes = method.getGenericParameterTypes();
		if (parameterTypes.length > 0) {
			this.bindingRegistrar.registerReflectionHints(hints, parameterTypes);
		}
		if (method.isAnnotationPresent(CachedAll.class)) {
			// valueKey reads the properties of the values ("#value.id")
			this.bindingRegistrar.registerReflectionHints(hints, method.getGenericReturnType());
		}
	}

}
