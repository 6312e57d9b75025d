package dev.cached.expression;

import java.lang.reflect.Method;

import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;

/**
 * The root object of an expression: {@code #root.args}, {@code #root.method},
 * {@code #root.methodName}, {@code #root.target}, {@code #root.targetClass}.
 */
public final class MethodCallRootObject {

	private final MethodInvocation invocation;

	MethodCallRootObject(MethodInvocation invocation) {
		this.invocation = invocation;
	}

	public @Nullable Object[] getArgs() {
		return this.invocation.getArguments();
	}

	public Method getMethod() {
		return this.invocation.getMethod();
	}

	public String getMethodName() {
		return this.invocation.getMethod().getName();
	}

	public @Nullable Object getTarget() {
		return this.invocation.getThis();
	}

	public @Nullable Class<?> getTargetClass() {
		Object target = this.invocation.getThis();
		return (target != null) ? AopUtils.getTargetClass(target) : null;
	}

}
