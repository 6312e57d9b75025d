package dev.cached.sample;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A business rule, as one JSON file under {@code rules/} describes it: when every
 * condition holds, the action applies; higher priority rules are evaluated first.
 *
 * @param id the id, which is also the file name without {@code .json}
 * @param name a short human-readable name
 * @param description what the rule does
 * @param priority the evaluation order, highest first
 * @param enabled whether the rule is active
 * @param conditions the conditions, all of which must hold
 * @param action what happens when they do
 * @param tags free-form labels
 */
public record Rule(String id, String name, @Nullable String description, int priority, boolean enabled,
		List<Condition> conditions, Action action, List<String> tags) {

	/**
	 * One condition on a fact of the order, e.g. {@code order.total GREATER_THAN 500}.
	 *
	 * @param fact the fact
	 * @param operator the comparison
	 * @param value the value to compare with (a number, a string or a list)
	 */
	public record Condition(String fact, String operator, Object value) {
	}

	/**
	 * The action of a rule, e.g. {@code APPLY_DISCOUNT} with {@code percent=10}.
	 *
	 * @param type the action type
	 * @param parameters its parameters
	 */
	public record Action(String type, Map<String, Object> parameters) {
	}

}
