package dev.cached.aop;

import java.util.List;
import java.util.function.Function;

import dev.cached.engine.CachedCache;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ObjectUtils;

/**
 * The {@code @CacheInvalidate} annotations of one method: those marked
 * {@code beforeInvocation} run before it, the others after it returned normally.
 */
final class InvalidatingOperation extends MethodOperation {

	private final List<CacheInvalidateOperation> operations;

	private final Function<String, @Nullable CachedCache> caches;

	InvalidatingOperation(List<CacheInvalidateOperation> operations, Function<String, @Nullable CachedCache> caches) {
		this.operations = List.copyOf(operations);
		this.caches = caches;
	}

	@Override
	@Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		for (CacheInvalidateOperation operation : this.operations) {
			if (operation.isBeforeInvocation()) {
				operation.invalidate(invocation, null, this.caches);
			}
		}
		Object result = invocation.proceed();
		Object value = ObjectUtils.unwrapOptional(result);
		for (CacheInvalidateOperation operation : this.operations) {
			if (!operation.isBeforeInvocation()) {
				operation.invalidate(invocation, value, this.caches);
			}
		}
		return result;
	}

	List<CacheInvalidateOperation> getOperations() {
		return this.operations;
	}

}
