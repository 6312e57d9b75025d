package dev.cached.key;

import java.io.Serializable;
import java.util.Arrays;

import org.jspecify.annotations.Nullable;

/**
 * A key made of several values (or of one {@code null} or array value), compared deeply:
 * arrays by content. The hash is computed once.
 * <p>
 * {@link #of(Object...)} follows the rule of the default key: no values give
 * {@link #EMPTY}, a single plain value is the key itself (so {@code key = "#id"} and the
 * default key of a one-argument method address the same entry), anything else is a
 * {@code CacheKey}.
 */
public final class CacheKey implements Serializable {

	/** The key of a method without parameters. */
	public static final CacheKey EMPTY = new CacheKey(new Object[0]);

	private static final long serialVersionUID = 1L;

	private final @Nullable Object[] values;

	private final transient int hash;

	private CacheKey(@Nullable Object[] values) {
		this.values = values;
		this.hash = Arrays.deepHashCode(values);
	}

	/**
	 * Return the key for these values, copying the array.
	 * @param values the values, e.g. a method's arguments
	 * @return the key
	 */
	public static Object of(@Nullable Object... values) {
		if (values.length == 0) {
			return EMPTY;
		}
		if (values.length == 1) {
			return ofValue(values[0]);
		}
		return new CacheKey(values.clone());
	}

	/**
	 * Return the key for one value: the value itself, unless it is {@code null} or an
	 * array.
	 * @param value the value
	 * @return the key
	 */
	public static Object ofValue(@Nullable Object value) {
		if (value != null && !value.getClass().isArray()) {
			return value;
		}
		return new CacheKey(new Object[] { value });
	}

	/**
	 * Return the values of this key, in order, as a copy: changing the returned array
	 * does not change the key. Nested arrays are not copied.
	 * @return the values, empty for {@link #EMPTY}
	 */
	public @Nullable Object[] values() {
		return this.values.clone();
	}

	@Override
	public boolean equals(@Nullable Object other) {
		return (this == other) || (other instanceof CacheKey that && this.hash == that.hash
				&& Arrays.deepEquals(this.values, that.values));
	}

	@Override
	public int hashCode() {
		return this.hash;
	}

	@Override
	public String toString() {
		return "CacheKey " + Arrays.deepToString(this.values);
	}

	private Object readResolve() {
		return new CacheKey(this.values);
	}

}
