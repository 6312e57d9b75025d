package dev.cached.aop;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import dev.cached.Cached;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheSpec;
import dev.cached.expression.MethodExpressions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedOperationSource}'s call-path lookup, which finds operations by
 * the identity of the invoked {@link Method} instance first.
 */
class CachedOperationSourceTests {

	private final CachedOperationSource source = new CachedOperationSource(
			new CacheRegistry((name) -> CacheSpec.NONE, CacheSpec.NONE), new MethodExpressions(null, null));

	@Test
	void getOperationReturnsTheSameOperationForEveryInstanceOfAMethod() throws Exception {
		Method first = RuleService.class.getMethod("getRule", long.class);
		Method second = RuleService.class.getMethod("getRule", long.class);
		assertThat(first).isNotSameAs(second);
		MethodOperation operation = this.source.getOperation(first, RuleService.class);
		assertThat(operation).isInstanceOf(CachedOperation.class);
		assertThat(this.source.getOperation(second, RuleService.class)).isSameAs(operation);
		assertThat(this.source.getOperation(first, RuleService.class)).isSameAs(operation);
		assertThat(this.source.findOperation(second, RuleService.class)).isSameAs(operation);
	}

	@Test
	void getOperationReturnsNullForAnUnannotatedMethodOnEveryCall() throws Exception {
		Method method = RuleService.class.getMethod("describe", long.class);
		assertThat(this.source.getOperation(method, RuleService.class)).isNull();
		assertThat(this.source.getOperation(method, RuleService.class)).isNull();
	}

	@Test
	void getOperationTellsTargetClassesOfTheSameInterfaceMethodApart() throws Exception {
		Method method = Rules.class.getMethod("getRule", long.class);
		MethodOperation cached = this.source.getOperation(method, RuleService.class);
		assertThat(cached).isInstanceOf(CachedOperation.class);
		assertThat(this.source.getOperation(method, PlainRules.class)).isNull();
		assertThat(this.source.getOperation(method, RuleService.class)).isSameAs(cached);
		assertThat(this.source.getOperation(method, PlainRules.class)).isNull();
	}

	@Test
	void getOperationKeepsAnsweringWhenItsTableGrowsAndIsFull() throws Exception {
		MethodOperation operation = this.source.getOperation(RuleService.class.getMethod("getRule", long.class),
				RuleService.class);
		List<Method> instances = new ArrayList<>();
		for (int i = 0; i < 5000; i++) {
			instances.add(RuleService.class.getMethod("getRule", long.class));
		}
		for (Method instance : instances) {
			assertThat(this.source.getOperation(instance, RuleService.class)).isSameAs(operation);
		}
		for (Method instance : instances) {
			assertThat(this.source.getOperation(instance, RuleService.class)).isSameAs(operation);
		}
	}

	interface Rules {

		String getRule(long id);

	}

	static class RuleService implements Rules {

		@Override
		@Cached
		public String getRule(long id) {
			return "rule " + id;
		}

		public String describe(long id) {
			return "rule " + id;
		}

	}

	static class PlainRules implements Rules {

		@Override
		public String getRule(long id) {
			return "rule " + id;
		}

	}

}
