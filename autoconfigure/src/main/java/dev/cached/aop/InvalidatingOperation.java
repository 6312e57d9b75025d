package dev.cached.aop;

import java.util.List;
import java.util.function.Function;

import dev.cached.engine.CachedCache;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

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
		for (CacheInvalidateOperation operation : this.operations) {
			if (!operation.isBeforeInvocation()) {
				operation.invalidate(invocation, result, this.caches);
			}
		}
		return result;
	}

	List<CacheInvalidateOperation> getOperations() {
		return this.operations;
	}

}
