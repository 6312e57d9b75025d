package dev.cached.key;

import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;

/**
 * The stable forms of Spring Data's {@link Pageable} and {@link Sort} (loaded only when
 * Spring Data Commons is on the classpath), as {@link StableKeys} documents them.
 */
final class SpringDataKeys {

	private SpringDataKeys() {
	}

	static boolean isStableType(Class<?> type) {
		return Pageable.class.isAssignableFrom(type) || Sort.class.isAssignableFrom(type);
	}

	/**
	 * Append the form of a {@code Pageable} or a {@code Sort}.
	 * @return whether the value is one of them
	 */
	static boolean append(StringBuilder out, Object value) {
		if (value instanceof Pageable pageable) {
			out.append('{');
			if (pageable.isPaged()) {
				out.append("\"page\":").append(pageable.getPageNumber());
				out.append(",\"size\":").append(pageable.getPageSize()).append(',');
			}
			out.append("\"sort\":");
			appendSort(out, pageable.getSort());
			out.append('}');
			return true;
		}
		if (value instanceof Sort sort) {
			appendSort(out, sort);
			return true;
		}
		return false;
	}

	private static void appendSort(StringBuilder out, Sort sort) {
		out.append('[');
		boolean first = true;
		for (Sort.Order order : sort) {
			if (!first) {
				out.append(',');
			}
			first = false;
			out.append("{\"property\":");
			StableKeys.appendString(out, order.getProperty());
			out.append(",\"direction\":\"").append(order.getDirection().name()).append('"');
			if (order.isIgnoreCase()) {
				out.append(",\"ignoreCase\":true");
			}
			if (order.getNullHandling() != Sort.NullHandling.NATIVE) {
				out.append(",\"nullHandling\":\"").append(order.getNullHandling().name()).append('"');
			}
			out.append('}');
		}
		out.append(']');
	}

}
