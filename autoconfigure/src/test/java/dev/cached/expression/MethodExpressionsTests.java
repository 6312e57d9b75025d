package dev.cached.expression;

import java.lang.reflect.Method;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.aop.framework.ProxyFactory;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.util.ReflectionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Parsing and evaluation of {@link MethodExpressions}, evaluated against calls through a
 * real Spring AOP proxy.
 */
class MethodExpressionsTests {

	private static final Method FIND = ReflectionUtils.findMethod(BookService.class, "find", long.class,
			Book.class);

	private final MethodExpressions expressions;

	MethodExpressionsTests() {
		StaticListableBeanFactory beanFactory = new StaticListableBeanFactory();
		beanFactory.addBean("prefix", new Prefix("tenant"));
		this.expressions = new MethodExpressions(beanFactory, null);
	}

	@Test
	void plainParameterReferenceIsReadFromTheArguments() {
		CallExpression expression = parse("#id");
		assertThat(expression).isInstanceOf(CallExpression.Argument.class);
		assertThat(evaluate(expression, 7, new Book("t"))).isEqualTo(7L);
		assertThat(parse("#p1")).isInstanceOf(CallExpression.Argument.class);
		assertThat(evaluate(parse("#p1.title"), 7, new Book("t"))).isEqualTo("t");
		assertThat(evaluate(parse("#a0"), 8, null)).isEqualTo(8L);
	}

	@Test
	void rootObjectDescribesTheCall() {
		BookService target = new BookService();
		assertThat(evaluate(parse("#root.methodName"), 1, null)).isEqualTo("find");
		assertThat(evaluate(parse("#root.args.length"), 1, null)).isEqualTo(2);
		assertThat(evaluate(parse("#root.args[0]"), 3, null)).isEqualTo(3L);
		assertThat(evaluate(parse("#root.method.name"), 1, null)).isEqualTo("find");
		// the target itself, not the proxy
		assertThat(evaluate(parse("#root.target.getClass()"), target, 1, null)).isEqualTo(BookService.class);
		assertThat(evaluate(parse("#root.targetClass"), target, 1, null)).isEqualTo(BookService.class);
	}

	@Test
	void beanReferenceIsResolved() {
		assertThat(evaluate(parse("@prefix.value + ':' + #id"), 5, null)).isEqualTo("tenant:5");
	}

	@Test
	void resultIsAvailableWhereAllowed() {
		CallExpression expression = this.expressions.parse(FIND, "#result + '!'", "unless expression", true);
		assertThat(evaluate(expression, 1, null)).isEqualTo("found 1!");
	}

	@Test
	void resultIsRejectedWhereNotAllowed() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("#result"))
			.withMessage("'#result' uses #result, which is only available in 'unless', in @CachePut and in a "
					+ "@CacheInvalidate key or condition evaluated after the invocation");
	}

	@Test
	void unknownVariableIsRejectedWithTheParameterNames() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("#idd + #book"))
			.withMessage("'#idd + #book' refers to #idd, which is not a parameter of the method; parameters are "
					+ "[#id, #book] (names need the compiler flag -parameters; #p0/#a0 always work)");
	}

	@Test
	void malformedExpressionIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> parse("#id +"))
			.withMessage("cannot parse '#id +': EL1042E: Problem parsing right operand");
	}

	@Test
	void failingEvaluationNamesTheExpression() {
		assertThatIllegalStateException().isThrownBy(() -> evaluate(parse("#book.title"), 1, null))
			.withMessage("Evaluating the key expression of cache 'books' failed: "
					+ "EL1007E: Property or field 'title' cannot be found on null");
	}

	@Test
	void conditionThatIsNotBooleanFails() {
		CallExpression expression = parse("#id");
		assertThatIllegalStateException().isThrownBy(() -> evaluateCondition(expression, 5))
			.withMessage("The key expression of cache 'books' gave 5 instead of true or false");
		assertThat(evaluateCondition(parse("#id > 2"), 5)).isTrue();
		assertThat(evaluateCondition(parse("#id > 2"), 1)).isFalse();
	}

	private CallExpression parse(String expression) {
		return this.expressions.parse(FIND, expression, "key expression of cache 'books'", false);
	}

	private static @Nullable Object evaluate(CallExpression expression, long id, @Nullable Book book) {
		return evaluate(expression, new BookService(), id, book);
	}

	private static @Nullable Object evaluate(CallExpression expression, BookService target, long id,
			@Nullable Book book) {
		ProxyFactory factory = new ProxyFactory(target);
		factory.setProxyTargetClass(true);
		factory.addAdvice((org.aopalliance.intercept.MethodInterceptor) (invocation) -> expression
			.getValue(invocation, invocation.proceed()));
		return ((BookService) factory.getProxy()).find(id, book);
	}

	private static boolean evaluateCondition(CallExpression expression, long id) {
		ProxyFactory factory = new ProxyFactory(new BookService());
		factory.setProxyTargetClass(true);
		factory.addAdvice((org.aopalliance.intercept.MethodInterceptor) (invocation) -> expression
			.isTrue(invocation, null));
		return (Boolean) ((BookService) factory.getProxy()).find(id, null);
	}

	public static class BookService {

		public @Nullable Object find(long id, @Nullable Book book) {
			return "found " + id;
		}

	}

	public static class Book {

		private final String title;

		Book(String title) {
			this.title = title;
		}

		public String getTitle() {
			return this.title;
		}

	}

	public static class Prefix {

		private final String value;

		Prefix(String value) {
			this.value = value;
		}

		public String getValue() {
			return this.value;
		}

	}

}
