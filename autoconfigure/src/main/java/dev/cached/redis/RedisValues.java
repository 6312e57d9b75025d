package dev.cached.redis;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DatabindContext;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.deser.BeanDeserializerBuilder;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.exc.InvalidDefinitionException;
import tools.jackson.databind.introspect.BeanPropertyDefinition;
import tools.jackson.databind.jsontype.PolymorphicTypeValidator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

import org.springframework.aop.support.AopUtils;
import org.springframework.core.GenericTypeResolver;
import org.springframework.core.KotlinDetector;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.util.ClassUtils;

/**
 * Values in Redis are JSON, written by the application's Jackson mapper and read back as
 * the method's declared return type (the element of a future or {@code Mono}, a list of the
 * elements of a {@code Flux}, the Kotlin return type of a {@code suspend} function). No
 * type is ever taken from a payload, whatever the application's mapper does: its copy
 * here has default typing off and a validator that denies every class a type id names
 * (annotations and mix-ins included), so a payload planted in Redis can only become the
 * declared type or fail to read (unknown properties and trailing tokens fail too, but for
 * the properties a class only has as getters, which it writes and ignores on reading).
 * Each method sharing a cache reads as its own declared type ({@link #forCall}); with
 * Spring Data Commons present, {@code Page} and {@code Slice} travel as
 * {@link SpringDataValues} describes.
 */
final class RedisValues {

	private static final byte[] NULL = { 'n', 'u', 'l', 'l' };

	/** The bulk annotation, by name. */
	private static final String CACHED_ALL = "dev.cached.CachedAll";

	private static final boolean SPRING_DATA = ClassUtils.isPresent("org.springframework.data.domain.Page",
			RedisValues.class.getClassLoader());

	private final JsonMapper mapper;

	private final JavaType type;

	private final Method method;

	/** How the other methods sharing the cache read their values, by method. */
	private final ConcurrentMap<Object, RedisValues> others;

	private RedisValues(JsonMapper mapper, Method method, ConcurrentMap<Object, RedisValues> others) {
		this(mapper, method, valueType(method), others);
	}

	private RedisValues(JsonMapper mapper, Method method, Type valueType, ConcurrentMap<Object, RedisValues> others) {
		this.mapper = mapper;
		this.method = method;
		this.type = mapper.getTypeFactory().constructType(valueType);
		this.others = others;
	}

	/**
	 * Return the strict copy of the application's mapper that the tier reads and writes
	 * values with.
	 * @param application the application's mapper
	 * @return the mapper to use
	 */
	static JsonMapper strict(JsonMapper application) {
		JsonMapper.Builder builder = application.rebuild()
			.deactivateDefaultTyping()
			.polymorphicTypeValidator(DenyAll.INSTANCE)
			.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
			.addModule(new SimpleModule("cached-getter-only").setDeserializerModifier(GetterOnly.INSTANCE));
		if (SPRING_DATA) {
			builder.addModule(SpringDataValues.module());
		}
		return builder.build();
	}

	static RedisValues of(JsonMapper mapper, Method method) {
		return new RedisValues(mapper, method, new ConcurrentHashMap<>());
	}

	/**
	 * Return how a method called on a target reads its values: as its own declared return
	 * type (several methods may share a cache), that of the target class's most specific
	 * method, as the cache registered it, with the type variables the target's class binds
	 * resolved; where that one leaves a variable open (an implementation inherited from a
	 * generic class, as a Spring Data repository's), the called method's type (its
	 * interface's) if that one does not.
	 * @param method the method called (an interface's, for a proxy)
	 * @param targetClass the class of the target, or {@code null}
	 * @return its reader
	 */
	RedisValues forCall(Method method, @Nullable Class<?> targetClass) {
		if (method.equals(this.method) && targetClass == null) {
			return this;
		}
		return this.others.computeIfAbsent(new Call(method, targetClass), (call) -> {
			// the method the cache registered: the target class's most specific one
			Method specific = (targetClass != null && !Proxy.isProxyClass(targetClass))
					? AopUtils.getMostSpecificMethod(method, targetClass) : method;
			Type type = valueType(specific, targetClass);
			if (hasVariable(type)) {
				Type called = valueType(method, targetClass);
				if (!hasVariable(called)) {
					type = called;
				}
			}
			return new RedisValues(this.mapper, method, type, this.others);
		});
	}

	private static Type valueType(Method method, @Nullable Class<?> targetClass) {
		if (targetClass == null || KotlinDetector.isSuspendingFunction(method)) {
			return valueType(method);
		}
		return element(method, valueType(GenericTypeResolver.resolveType(method.getGenericReturnType(), targetClass)));
	}

	/**
	 * The type of one element's value for a bulk method ({@code @CachedAll}, found by name:
	 * this tier does not depend on the annotations): a {@code Map}'s value type, a
	 * {@code List}'s element type; any other method's type unchanged.
	 */
	private static Type element(Method method, Type type) {
		if (!MergedAnnotations.from(method, MergedAnnotations.SearchStrategy.TYPE_HIERARCHY)
			.isPresent(CACHED_ALL)) {
			return type;
		}
		Class<?> raw = raw(type);
		if (raw == null || !(type instanceof ParameterizedType parameterized)) {
			return Object.class;
		}
		Type[] arguments = parameterized.getActualTypeArguments();
		if (Map.class.isAssignableFrom(raw) && arguments.length == 2) {
			return arguments[1];
		}
		if (Collection.class.isAssignableFrom(raw) && arguments.length == 1) {
			return arguments[0];
		}
		return Object.class;
	}

	private static boolean hasVariable(Type type) {
		if (type instanceof TypeVariable<?> || type instanceof WildcardType) {
			return true;
		}
		if (type instanceof ParameterizedType parameterized) {
			for (Type argument : parameterized.getActualTypeArguments()) {
				if (hasVariable(argument)) {
					return true;
				}
			}
		}
		if (type instanceof GenericArrayType array) {
			return hasVariable(array.getGenericComponentType());
		}
		return false;
	}

	private record Call(Method method, @Nullable Class<?> targetClass) {
	}

	/**
	 * Return why values of a method's declared type cannot be read back, or {@code null}
	 * if they can: an abstract class or an interface Jackson has no implementation for
	 * (collections, maps, Spring Data's {@code Page} and {@code Slice} have one), unless
	 * the type says which subtypes a payload may name ({@code @JsonTypeInfo}).
	 * @param mapper the strict mapper
	 * @param method the method
	 * @return the reason, or {@code null}
	 */
	static @Nullable String unreadable(JsonMapper mapper, Method method) {
		JavaType type = mapper.getTypeFactory().constructType(valueType(method));
		Class<?> raw = type.getRawClass();
		if (!type.isAbstract() || type.isContainerType() || raw == Object.class || raw.isArray()
				|| (SPRING_DATA && SpringDataValues.handles(raw))) {
			return null;
		}
		try {
			// an abstract type that Jackson can read (@JsonTypeInfo, a module's or an
			// annotated deserializer) refuses the empty object for another reason
			mapper.readValue("{}", type);
			return null;
		}
		catch (InvalidDefinitionException ex) {
			return (raw.isInterface() ? "an interface" : "an abstract class") + " with no known implementation";
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	/**
	 * The type a method's cached values have: its declared return type, or what an
	 * asynchronous one yields; for a Kotlin {@code suspend} function, whose Java return type
	 * is {@code Object}, its Kotlin return type (the {@code Continuation}'s type argument,
	 * read by Spring with kotlin-reflect); for a bulk method, one element's value type in
	 * any of these.
	 */
	static Type valueType(Method method) {
		if (KotlinDetector.isSuspendingFunction(method)) {
			return element(method, new MethodParameter(method, -1).getGenericParameterType());
		}
		return element(method, valueType(method.getGenericReturnType()));
	}

	/** The type a cached value has: the declared return type, or what an asynchronous one yields. */
	static Type valueType(Type declared) {
		Class<?> raw = raw(declared);
		if (raw == null) {
			return declared;
		}
		String name = raw.getName();
		Type argument = (declared instanceof ParameterizedType parameterized
				&& parameterized.getActualTypeArguments().length == 1) ? parameterized.getActualTypeArguments()[0]
						: Object.class;
		if (name.equals("java.util.concurrent.CompletableFuture") || name.equals("java.util.concurrent.CompletionStage")
				|| name.equals("reactor.core.publisher.Mono")) {
			return argument;
		}
		if (name.equals("reactor.core.publisher.Flux")) {
			return new ListOf(argument);
		}
		return declared;
	}

	private static @Nullable Class<?> raw(Type type) {
		if (type instanceof Class<?> cls) {
			return cls;
		}
		if (type instanceof ParameterizedType parameterized && parameterized.getRawType() instanceof Class<?> cls) {
			return cls;
		}
		return null;
	}

	/**
	 * Return the type values are read as, for messages.
	 * @return the type
	 */
	JavaType type() {
		return this.type;
	}

	byte[] write(@Nullable Object value) {
		return (value != null) ? this.mapper.writeValueAsBytes(value) : NULL.clone();
	}

	/**
	 * Read a payload.
	 * @param payload the bytes from Redis
	 * @return the value, possibly {@code null}
	 * @throws RuntimeException (Jackson's) if the payload is not JSON of the declared type
	 */
	@Nullable Object read(byte[] payload) {
		return this.mapper.readValue(payload, this.type);
	}

	/**
	 * Denies every class a type id names: with default typing off, this is what Jackson
	 * asks for the type ids of {@code @JsonTypeInfo(use = CLASS | MINIMAL_CLASS)} on the
	 * application's classes or mix-ins, so that such a payload fails to read instead of
	 * naming a class. Type names ({@code use = NAME}) resolve against the closed list of
	 * {@code @JsonSubTypes} and never reach a validator.
	 */
	private static final class DenyAll extends PolymorphicTypeValidator {

		private static final long serialVersionUID = 1L;

		static final DenyAll INSTANCE = new DenyAll();

		@Override
		public Validity validateBaseType(DatabindContext context, JavaType baseType) {
			return Validity.DENIED;
		}

		@Override
		public Validity validateSubClassName(DatabindContext context, JavaType baseType, String subClassName) {
			return Validity.DENIED;
		}

		@Override
		public Validity validateSubType(DatabindContext context, JavaType baseType, JavaType subType) {
			return Validity.DENIED;
		}

	}

	/**
	 * Properties that a class only has as getters ({@code isNew()}, a computed count) are
	 * written with its values: on reading they are ignored, never an unknown property.
	 * Any other property the class does not know still fails.
	 */
	private static final class GetterOnly extends ValueDeserializerModifier {

		private static final long serialVersionUID = 1L;

		static final GetterOnly INSTANCE = new GetterOnly();

		@Override
		public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription.Supplier description,
				BeanDeserializerBuilder builder) {
			for (BeanPropertyDefinition property : description.get().findProperties()) {
				if (property.hasGetter() && !property.hasSetter() && !property.hasField()
						&& !property.hasConstructorParameter()
						&& !builder.hasProperty(property.getFullName())) {
					builder.addIgnorable(property.getName());
				}
			}
			return builder;
		}

	}

	/** {@code List<E>} for a {@code Flux<E>}. */
	private record ListOf(Type element) implements ParameterizedType {

		@Override
		public Type[] getActualTypeArguments() {
			return new Type[] { this.element };
		}

		@Override
		public Type getRawType() {
			return List.class;
		}

		@Override
		public @Nullable Type getOwnerType() {
			return null;
		}

	}

}
