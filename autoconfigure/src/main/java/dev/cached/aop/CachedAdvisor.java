package dev.cached.aop;

import java.lang.reflect.Method;

import org.aopalliance.aop.Advice;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.ClassFilter;
import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.core.Ordered;

/**
 * Applies the {@link CachedInterceptor} to every method that
 * {@link CachedOperationSource} finds annotated, including methods whose annotation sits
 * on an interface or a superclass. It is ordered just before the default order
 * ({@code Ordered.LOWEST_PRECEDENCE - 1}, {@code cached.order} changes it), so that a hit
 * is answered before, for example, a transaction is opened by an advisor at the default
 * order.
 */
public final class CachedAdvisor extends AbstractPointcutAdvisor {

	private static final long serialVersionUID = 1L;

	private final transient CachedOperationSource source;

	private final transient CachedInterceptor interceptor;

	private final transient Pointcut pointcut = new OperationPointcut();

	/**
	 * Create the advisor.
	 * @param source the operations
	 * @param interceptor the advice
	 */
	public CachedAdvisor(CachedOperationSource source, CachedInterceptor interceptor) {
		this.source = source;
		this.interceptor = interceptor;
		setOrder(Ordered.LOWEST_PRECEDENCE - 1);
	}

	@Override
	public Pointcut getPointcut() {
		return this.pointcut;
	}

	@Override
	public Advice getAdvice() {
		return this.interceptor;
	}

	private final class OperationPointcut extends StaticMethodMatcherPointcut {

		OperationPointcut() {
			setClassFilter(new CandidateClassFilter());
		}

		@Override
		public boolean matches(Method method, @Nullable Class<?> targetClass) {
			return CachedAdvisor.this.source.findOperation(method, targetClass) != null;
		}

	}

	private static final class CandidateClassFilter implements ClassFilter {

		@Override
		public boolean matches(Class<?> type) {
			return CachedOperationSource.isCandidateClass(type);
		}

	}

}
