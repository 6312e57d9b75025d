package dev.cached.key;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.MonthDay;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Period;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZonedDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

/**
 * The stable form of a cache key: a string that is the same for equal keys in every JVM,
 * across restarts and versions of the application, so that instances sharing a remote
 * cache address the same entry. Only keys made of values with a well-defined text have a
 * stable form; {@link #encode(Object)} rejects any other.
 * <p>
 * The form is compact JSON-like text, without spaces:
 * <ul>
 * <li>{@code null}: {@code null}</li>
 * <li>{@link String} and {@link Character}: a JSON string literal, e.g. {@code "abc"}.
 * {@code "} and {@code \} are escaped as {@code \"} and {@code \\}; control characters
 * (below U+0020, and U+007F) as {@code \b}, {@code \f}, {@code \n}, {@code \r},
 * {@code \t} or {@code \}{@code u00XX}; a lone surrogate as {@code \}{@code uXXXX} (lower
 * case hex digits). Any other character, including non-ASCII, is written as itself; the
 * form is meant to be stored as UTF-8.</li>
 * <li>{@link Byte}, {@link Short}, {@link Integer}, {@link Long} and {@link BigInteger}:
 * decimal digits, with a leading {@code -} when negative, e.g. {@code 42}</li>
 * <li>{@link BigDecimal}: {@link BigDecimal#toPlainString()}, so {@code 1} and
 * {@code 1.0} stay distinct, as they are for {@link BigDecimal#equals(Object)}</li>
 * <li>{@link Double}: {@link Double#toString(double)}; {@link Float}:
 * {@link Float#toString(float)}, e.g. {@code 1.5}, {@code -0.0}, {@code 1.0E10},
 * {@code NaN}, {@code Infinity}</li>
 * <li>{@link Boolean}: {@code true} or {@code false}</li>
 * <li>an enum constant: its {@link Enum#name() name} as a JSON string, e.g.
 * {@code "ACTIVE"}</li>
 * <li>{@link UUID} and the {@code java.time} values {@link LocalDate},
 * {@link LocalDateTime}, {@link LocalTime}, {@link OffsetDateTime}, {@link OffsetTime},
 * {@link ZonedDateTime}, {@link Instant}, {@link Duration}, {@link Period}, {@link Year},
 * {@link YearMonth} and {@link MonthDay}: their {@code toString()} as a JSON string, e.g.
 * {@code "2024-05-01"}</li>
 * <li>a record: its components in declaration order as a JSON object,
 * {@code {"name":value,...}}, e.g. {@code {"tenant":"acme","id":7}}</li>
 * <li>a {@link CacheKey} (several values): its values as a JSON array,
 * {@code [v1,v2,...]}; {@link CacheKey#EMPTY} (a method without parameters) is
 * {@code []}</li>
 * <li>an array (of objects or primitives) or a {@link List}: its elements as a JSON
 * array, e.g. {@code [1,2]}</li>
 * <li>with Spring Data Commons on the classpath, a {@code Sort}: its orders as a JSON
 * array of objects, {@code [{"property":"lastName","direction":"ASC"}]}, an order that
 * ignores case adding {@code "ignoreCase":true}, one whose null handling is not
 * {@code NATIVE} adding {@code "nullHandling":"NULLS_FIRST"} (or {@code NULLS_LAST}); and
 * a {@code Pageable}: {@code {"page":0,"size":20,"sort":[...]}}, or {@code {"sort":[...]}}
 * when unpaged</li>
 * </ul>
 * A value of any other type, for example an entity, a {@link java.util.Map} or a
 * {@link java.util.Set}, has no stable form.
 * <p>
 * The form does not name types: values that differ only by type have the same form, e.g.
 * {@code 1} as an {@code Integer} and as a {@code Long}, {@code 'a'} and {@code "a"}, two
 * constants of the same name in different enums, two records with the same components,
 * or a list, an array and a composite key of the same elements. Each method's key has
 * declared types, so this only matters to methods of different signatures sharing a
 * cache.
 */
public final class StableKeys {

	/** Deeper keys are rejected: they are almost certainly cyclic. */
	private static final int MAX_DEPTH = 64;

	private static final char[] HEX = "0123456789abcdef".toCharArray();

	private static final Set<Class<?>> SCALAR_TYPES = Set.of(boolean.class, Boolean.class, char.class,
			Character.class, byte.class, Byte.class, short.class, Short.class, int.class, Integer.class, long.class,
			Long.class, float.class, Float.class, double.class, Double.class, String.class, BigInteger.class,
			BigDecimal.class);

	private static final Set<Class<?>> QUOTED_TYPES = Set.of(UUID.class, LocalDate.class, LocalDateTime.class,
			LocalTime.class, OffsetDateTime.class, OffsetTime.class, ZonedDateTime.class, Instant.class,
			Duration.class, Period.class, Year.class, YearMonth.class, MonthDay.class);

	private static final ClassValue<Accessor[]> ACCESSORS = new ClassValue<>() {

		@Override
		protected Accessor[] computeValue(Class<?> type) {
			RecordComponent[] components = type.getRecordComponents();
			Accessor[] accessors = new Accessor[components.length];
			for (int i = 0; i < components.length; i++) {
				Method method = components[i].getAccessor();
				try {
					method.trySetAccessible();
				}
				catch (SecurityException ex) {
					// left inaccessible: invoking it reports the failure
				}
				accessors[i] = new Accessor(components[i].getName(), method);
			}
			return accessors;
		}

	};

	private static final boolean SPRING_DATA = ClassUtils.isPresent("org.springframework.data.domain.Pageable",
			StableKeys.class.getClassLoader());

	private StableKeys() {
	}

	/**
	 * Return the stable form of a key, as described in the {@link StableKeys class
	 * documentation}.
	 * @param key the key, as made by a {@link KeyGenerator}, or a part of it
	 * @return the stable form
	 * @throws IllegalArgumentException if the key, or a part of it, has no stable form;
	 * the message names the offending type
	 */
	public static String encode(@Nullable Object key) {
		StringBuilder out = new StringBuilder(32);
		append(out, key, 0);
		return out.toString();
	}

	/**
	 * Return whether every value of a declared type has a stable form: the primitives and
	 * their wrappers, {@link String}, {@link BigInteger}, {@link BigDecimal}, enums,
	 * {@link UUID}, the {@code java.time} types listed in the class documentation,
	 * records whose components are all of such types (recursively), arrays of such types,
	 * {@link List} (its elements are checked when a key is encoded) and
	 * {@link CacheKey}. A parameter declared as another interface, as an abstract type
	 * such as {@link Number} or {@link Enum}, or as {@link Object}, is not accepted, even
	 * when the values passed would all be stable.
	 * @param type the declared type, e.g. of a method parameter
	 * @return whether values of the type have a stable form
	 */
	public static boolean isStableType(Class<?> type) {
		return isStableType(type, new HashSet<>());
	}

	private static boolean isStableType(Class<?> type, Set<Class<?>> visiting) {
		if (SCALAR_TYPES.contains(type) || QUOTED_TYPES.contains(type) || type == CacheKey.class
				|| List.class.isAssignableFrom(type)) {
			return true;
		}
		if (Enum.class.isAssignableFrom(type)) {
			return type != Enum.class;
		}
		if (SPRING_DATA && SpringDataKeys.isStableType(type)) {
			return true;
		}
		if (type.isArray()) {
			return isStableType(type.getComponentType(), visiting);
		}
		if (type.isRecord()) {
			if (!visiting.add(type)) {
				// a recursive record: stable if the rest of it is
				return true;
			}
			for (RecordComponent component : type.getRecordComponents()) {
				if (!isStableType(component.getType(), visiting)) {
					return false;
				}
			}
			return true;
		}
		return false;
	}

	private static void append(StringBuilder out, @Nullable Object value, int depth) {
		if (depth > MAX_DEPTH) {
			throw new IllegalArgumentException("Cache key is nested more than " + MAX_DEPTH
					+ " levels deep (a cycle?) and has no stable string form");
		}
		if (value == null) {
			out.append("null");
		}
		else if (value instanceof String string) {
			appendString(out, string);
		}
		else if (value instanceof Integer || value instanceof Long || value instanceof Short
				|| value instanceof Byte || value instanceof Boolean) {
			out.append(value);
		}
		else if (value instanceof BigInteger number) {
			out.append(number.toString());
		}
		else if (value instanceof BigDecimal number) {
			out.append(number.toPlainString());
		}
		else if (value instanceof Double number) {
			out.append(Double.toString(number));
		}
		else if (value instanceof Float number) {
			out.append(Float.toString(number));
		}
		else if (value instanceof Character character) {
			appendString(out, String.valueOf(character.charValue()));
		}
		else if (value instanceof Enum<?> constant) {
			appendString(out, constant.name());
		}
		else if (QUOTED_TYPES.contains(value.getClass())) {
			appendString(out, value.toString());
		}
		else if (value instanceof CacheKey key) {
			appendElements(out, key.values(), depth);
		}
		else if (value instanceof Object[] array) {
			appendElements(out, array, depth);
		}
		else if (value.getClass().isArray()) {
			int length = Array.getLength(value);
			out.append('[');
			for (int i = 0; i < length; i++) {
				if (i > 0) {
					out.append(',');
				}
				append(out, Array.get(value, i), depth + 1);
			}
			out.append(']');
		}
		else if (value instanceof List<?> list) {
			out.append('[');
			boolean first = true;
			for (Object element : list) {
				if (!first) {
					out.append(',');
				}
				first = false;
				append(out, element, depth + 1);
			}
			out.append(']');
		}
		else if (value instanceof Record) {
			appendRecord(out, value, depth);
		}
		else if (SPRING_DATA && SpringDataKeys.append(out, value)) {
			// a Pageable or a Sort
		}
		else {
			throw new IllegalArgumentException("Cache key part of type " + value.getClass().getName()
					+ " has no stable string form; use a key expression that yields strings, numbers, booleans, "
					+ "enums, UUIDs, records of those, or several of them");
		}
	}

	private static void appendElements(StringBuilder out, @Nullable Object[] elements, int depth) {
		out.append('[');
		for (int i = 0; i < elements.length; i++) {
			if (i > 0) {
				out.append(',');
			}
			append(out, elements[i], depth + 1);
		}
		out.append(']');
	}

	private static void appendRecord(StringBuilder out, Object record, int depth) {
		Accessor[] accessors = ACCESSORS.get(record.getClass());
		out.append('{');
		for (int i = 0; i < accessors.length; i++) {
			if (i > 0) {
				out.append(',');
			}
			Accessor accessor = accessors[i];
			appendString(out, accessor.name());
			out.append(':');
			append(out, accessor.read(record), depth + 1);
		}
		out.append('}');
	}

	static void appendString(StringBuilder out, String string) {
		out.append('"');
		int length = string.length();
		for (int i = 0; i < length; i++) {
			char c = string.charAt(i);
			switch (c) {
				case '"' -> out.append("\\\"");
				case '\\' -> out.append("\\\\");
				case '\b' -> out.append("\\b");
				case '\f' -> out.append("\\f");
				case '\n' -> out.append("\\n");
				case '\r' -> out.append("\\r");
				case '\t' -> out.append("\\t");
				default -> {
					if (c < 0x20 || c == 0x7f) {
						appendUnicodeEscape(out, c);
					}
					else if (Character.isHighSurrogate(c) && i + 1 < length
							&& Character.isLowSurrogate(string.charAt(i + 1))) {
						out.append(c).append(string.charAt(++i));
					}
					else if (Character.isSurrogate(c)) {
						// a lone surrogate has no UTF-8 form: keep it distinct
						appendUnicodeEscape(out, c);
					}
					else {
						out.append(c);
					}
				}
			}
		}
		out.append('"');
	}

	private static void appendUnicodeEscape(StringBuilder out, char c) {
		out.append("\\u")
			.append(HEX[(c >> 12) & 0xf])
			.append(HEX[(c >> 8) & 0xf])
			.append(HEX[(c >> 4) & 0xf])
			.append(HEX[c & 0xf]);
	}

	private record Accessor(String name, Method method) {

		@Nullable Object read(Object record) {
			try {
				return this.method.invoke(record);
			}
			catch (IllegalAccessException ex) {
				throw new IllegalArgumentException("Cache key part of record type " + record.getClass().getName()
						+ " has no stable string form: its component '" + this.name + "' cannot be read ("
						+ ex.getMessage() + ")", ex);
			}
			catch (InvocationTargetException ex) {
				throw new IllegalArgumentException("Cache key part of record type " + record.getClass().getName()
						+ " has no stable string form: reading its component '" + this.name + "' failed ("
						+ ex.getTargetException() + ")", ex.getTargetException());
			}
		}

	}

}
