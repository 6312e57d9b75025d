package dev.cached.redis;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.DatabindContext;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.jsontype.PolymorphicTypeValidator;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.KotlinDetector;
import org.springframework.core.MethodParameter;

/**
 * Values in Redis are JSON, written by the application's Jackson mapper and read back as
 * the method's declared return type (the element of a future or {@code Mono}, a list of the
 * elements of a {@code Flux}, the Kotlin return type of a {@code suspend} function). No
 * type is ever taken from a payload, whatever the application's mapper does: its copy
 * here has default typing off and a validator that denies every class a type id names
 * (annotations and mix-ins included), so a payload planted in Redis can only become the
 * declared type or fail to read (unknown properties and trailing tokens fail too).
 */
final class RedisValues {

	private static final byte[] NULL = { 'n', 'u', 'l', 'l' };

	private final JsonMapper mapper;

	private final JavaType type;

	private RedisValues(JsonMapper mapper, JavaType type) {
		this.mapper = mapper;
		this.type = type;
	}

	/**
	 * Return the strict copy of the application's mapper that the tier reads and writes
	 * values with.
	 * @param application the application's mapper
	 * @return the mapper to use
	 */
	static JsonMapper strict(JsonMapper application) {
		return application.rebuild()
			.deactivateDefaultTyping()
			.polymorphicTypeValidator(DenyAll.INSTANCE)
			.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
			.build();
	}

	static RedisValues of(JsonMapper mapper, Method method) {
		return new RedisValues(mapper, mapper.getTypeFactory().constructType(valueType(method)));
	}

	/**
	 * The type a method's cached values have: its declared return type, or what an
	 * asynchronous one yields; for a Kotlin {@code suspend} function, whose Java return type
	 * is {@code Object}, its Kotlin return type (the {@code Continuation}'s type argument,
	 * read by Spring with kotlin-reflect).
	 */
	static Type valueType(Method method) {
		if (KotlinDetector.isSuspendingFunction(method)) {
			return new MethodParameter(method, -1).getGenericParameterType();
		}
		return valueType(method.getGenericReturnType());
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
