package dev.cached.aop;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * The startup scan: reads and checks every {@code @Cached}, {@code @CachePut} and
 * {@code @CacheInvalidate} method of every bean as the bean is created, so that a bad
 * annotation fails startup (naming the method and the value), never the first call. Once
 * all singletons exist, it checks that every {@code @CacheInvalidate} and
 * {@code @CachePut} names a cache that some {@code @Cached} method uses.
 */
public final class CachedMethodValidator implements BeanPostProcessor, SmartInitializingSingleton, Ordered {

	private final ObjectProvider<CachedOperationSource> source;

	/**
	 * Create the scan.
	 * @param source the operation source, looked up at the first bean so that it is not
	 * created while post-processors are still being registered
	 */
	public CachedMethodValidator(ObjectProvider<CachedOperationSource> source) {
		this.source = source;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		Class<?> targetClass = AopUtils.getTargetClass(bean);
		if (!CachedOperationSource.isCandidateClass(targetClass)) {
			return bean;
		}
		CachedOperationSource source = null;
		for (Method method : methodsToCheck(targetClass)) {
			if (!method.isBridge() && CachedOperationSource.isAnnotated(method)) {
				if (source == null) {
					source = this.source.getObject();
				}
				source.findOperation(method, targetClass);
			}
		}
		return bean;
	}

	private static Method[] methodsToCheck(Class<?> targetClass) {
		if (Proxy.isProxyClass(targetClass)) {
			// a JDK proxy bean: only its interfaces carry methods worth reading
			List<Method> methods = new ArrayList<>();
			for (Class<?> type : ClassUtils.getAllInterfacesForClassAsSet(targetClass)) {
				methods.addAll(Arrays.asList(type.getMethods()));
			}
			return methods.toArray(new Method[0]);
		}
		return ReflectionUtils.getUniqueDeclaredMethods(targetClass, ReflectionUtils.USER_DECLARED_METHODS);
	}

	@Override
	public void afterSingletonsInstantiated() {
		CachedOperationSource source = this.source.getIfAvailable();
		if (source == null) {
			return;
		}
		for (CacheInvalidateOperation invalidation : source.getInvalidations()) {
			if (source.getRegistry().getCache(invalidation.getCacheName()) == null) {
				throw new IllegalStateException(invalidation.unknownCacheMessage());
			}
		}
		for (CachePutOperation put : source.getPuts()) {
			if (source.getRegistry().getCache(put.getCacheName()) == null) {
				throw new IllegalStateException(put.unknownCacheMessage());
			}
		}
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
