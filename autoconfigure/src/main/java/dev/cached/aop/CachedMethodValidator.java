package dev.cached.aop;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.RemoteTier;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.Advisor;
import org.springframework.aop.TargetSource;
import org.springframework.aop.framework.Advised;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * The startup scan: reads and checks every {@code @Cached}, {@code @CachePut} and
 * {@code @CacheInvalidate} method of every bean as the bean is created, so that a bad
 * annotation fails startup (naming the method and the value) and every method is
 * registered with its cache before the first call. Each method is checked on its own as
 * it is read ({@link CachedAnnotationValidator}); the checks across methods are here:
 * <ul>
 * <li>once all singletons exist, that every {@code @CacheInvalidate} and
 * {@code @CachePut} names a cache that some {@code @Cached} method uses, and that every
 * {@code @CachePut} stores a type that the {@code @Cached} methods of its cache can
 * return;</li>
 * <li>when a tier shared by several instances is attached, {@link #checkRemoteKeys()}:
 * that the default key of every {@code @Cached} method of a remote cache read so far has
 * a stable form (a method read later is checked as it is read).</li>
 * </ul>
 * <p>
 * Each method is read as the advice will see its calls: against the object the cached
 * proxy delegates to. So methods declared on the interfaces of a JDK proxy bean (a Spring
 * Data repository, an HTTP interface client) are read from those interfaces, and methods
 * of a class from the class, its superclasses and its interfaces (bridge methods of
 * generic interfaces resolve to the methods they bridge).
 * <p>
 * The object a {@code FactoryBean} makes (a Spring Data repository is one) is
 * post-processed only when it is first asked for; so once all singletons exist, the scan
 * asks for the object of every eager singleton {@code FactoryBean} whose object type
 * carries our annotations, which reads it like any other bean.
 */
public final class CachedMethodValidator
		implements BeanPostProcessor, SmartInitializingSingleton, BeanFactoryAware, Ordered {

	/**
	 * Whether a type or one of its supertypes declares a method that carries one of our
	 * annotations itself (or as a meta-annotation), worked out once per type.
	 */
	private static final ClassValue<Boolean> DECLARES_ANNOTATED_METHOD = new ClassValue<>() {

		@Override
		protected Boolean computeValue(Class<?> type) {
			try {
				for (Method method : type.getDeclaredMethods()) {
					if (CachedOperationSource.isDirectlyAnnotated(method)) {
						return true;
					}
				}
			}
			catch (LinkageError ex) {
				// a signature naming a class that is not there: read it as before
				return true;
			}
			Class<?> superclass = type.getSuperclass();
			if (superclass != null && superclass != Object.class && get(superclass)) {
				return true;
			}
			for (Class<?> ifc : type.getInterfaces()) {
				if (get(ifc)) {
					return true;
				}
			}
			return false;
		}

	};

	private final ObjectProvider<CachedOperationSource> source;

	private @Nullable ConfigurableListableBeanFactory beanFactory;

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
		Class<?> targetClass = callTargetClass(bean);
		if (targetClass == null) {
			return bean;
		}
		CachedOperationSource source = null;
		for (Method method : methodsToCheck(targetClass)) {
			if (CachedOperationSource.isAnnotated(method)) {
				if (source == null) {
					source = this.source.getObject();
				}
				source.findOperation(method, targetClass);
			}
		}
		return bean;
	}

	/**
	 * The class of the object whose methods the advice intercepts: the target of our own
	 * proxy when this bean is already one, otherwise the bean itself (the auto-proxy
	 * creator wraps exactly this object, whatever it is: a plain bean, or a proxy such
	 * as a Spring Data repository).
	 */
	private static @Nullable Class<?> callTargetClass(Object bean) {
		if (bean instanceof Advised advised && hasCachedAdvisor(advised)) {
			TargetSource targetSource = advised.getTargetSource();
			if (targetSource.isStatic()) {
				try {
					Object target = targetSource.getTarget();
					return (target != null) ? target.getClass() : targetSource.getTargetClass();
				}
				catch (Exception ex) {
					return targetSource.getTargetClass();
				}
			}
			return targetSource.getTargetClass();
		}
		return bean.getClass();
	}

	private static boolean hasCachedAdvisor(Advised advised) {
		for (Advisor advisor : advised.getAdvisors()) {
			if (advisor instanceof CachedAdvisor) {
				return true;
			}
		}
		return false;
	}

	private static Set<Method> methodsToCheck(Class<?> targetClass) {
		Set<Method> methods = new LinkedHashSet<>();
		Class<?> userClass = ClassUtils.getUserClass(targetClass);
		if (!Proxy.isProxyClass(userClass) && CachedOperationSource.isCandidateClass(userClass)) {
			// the class, its superclasses and (through annotation lookup) the methods they
			// implement
			methods.addAll(Arrays.asList(
					ReflectionUtils.getUniqueDeclaredMethods(userClass, ReflectionUtils.USER_DECLARED_METHODS)));
		}
		// the interfaces: all a JDK proxy has, and the declarations a class implements
		for (Class<?> type : ClassUtils.getAllInterfacesForClassAsSet(userClass)) {
			if (CachedOperationSource.isCandidateClass(type)) {
				methods.addAll(Arrays.asList(type.getMethods()));
			}
		}
		// Spring's own types never carry our annotations: skipping them keeps the scan
		// cheap. Their package alone does not tell them apart, since an application may
		// live under org.springframework too (Spring PetClinic does), so a type there is
		// read only when it or one of its supertypes declares an annotated method.
		methods.removeIf((method) -> method.isBridge() || method.isSynthetic()
				|| method.getDeclaringClass() == Object.class || isUnannotatedSpringType(method.getDeclaringClass()));
		return methods;
	}

	private static boolean isUnannotatedSpringType(Class<?> type) {
		return type.getName().startsWith("org.springframework.") && !DECLARES_ANNOTATED_METHOD.get(type);
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		if (beanFactory instanceof ConfigurableListableBeanFactory listable) {
			this.beanFactory = listable;
		}
	}

	@Override
	public void afterSingletonsInstantiated() {
		CachedOperationSource source = this.source.getIfAvailable();
		if (source == null) {
			return;
		}
		if (this.beanFactory != null) {
			readFactoryBeanObjects(this.beanFactory);
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
		checkPutTypes(source);
	}

	/**
	 * Check that every {@code @CachePut} read so far stores a value of a type the
	 * {@code @Cached} methods of its cache can return: a type that is neither a subtype nor
	 * a supertype of such a method's return type would reach its callers as a
	 * {@link ClassCastException}.
	 * @throws IllegalStateException naming both methods and both types
	 */
	private static void checkPutTypes(CachedOperationSource source) {
		Collection<CachedOperation> cachedOperations = source.getCachedOperations().values();
		for (CachePutOperation put : source.getPuts()) {
			Class<?> stored = ClassUtils.resolvePrimitiveIfNecessary(put.getMethod().getReturnType());
			for (CachedOperation cached : cachedOperations) {
				if (cached.getCache().getName().equals(put.getCacheName())) {
					Class<?> read = ClassUtils.resolvePrimitiveIfNecessary(cached.getValueType());
					if (!read.isAssignableFrom(stored) && !stored.isAssignableFrom(read)) {
						throw CachedAnnotationValidator.invalid(put.getMethod(), "@CachePut", "stores "
								+ stored.getName() + " into cache '" + put.getCacheName() + "', whose @Cached method '"
								+ CacheRegistry.describe(cached.getMethod()) + "' returns " + read.getName()
								+ "; return the type that the @Cached method returns");
					}
				}
			}
		}
	}

	/**
	 * Check every {@code @Cached} method read so far for a tier shared by several
	 * instances, before the tier is attached: the default key (all parameters) of a method
	 * whose cache is remote must have a stable form
	 * ({@link dev.cached.key.StableKeys#isStableType}) for each parameter type. Whoever
	 * attaches the tier calls this first, whether the scan has read the beans yet or not;
	 * a method read once the tier is attached is checked as it is read.
	 * @throws IllegalStateException naming the first method whose key has no stable form,
	 * and saying what to do
	 */
	public void checkRemoteKeys() {
		checkRemoteKeys(null);
	}

	/**
	 * {@link #checkRemoteKeys()}, and that the tier can read back the values of each
	 * method of a remote cache ({@link RemoteTier#valueProblem}).
	 * @param tier the tier about to be attached, or {@code null} to check the keys only
	 * @throws IllegalStateException naming the first method that breaks a rule
	 */
	public void checkRemoteKeys(@Nullable RemoteTier tier) {
		CachedOperationSource source = this.source.getIfAvailable();
		if (source == null) {
			return;
		}
		for (Map.Entry<Method, CachedOperation> entry : source.getCachedOperations().entrySet()) {
			String problem = CachedAnnotationValidator.remoteKeyProblem(entry.getKey(), entry.getValue(), tier);
			if (problem != null) {
				throw new IllegalStateException("Method '" + CacheRegistry.describe(entry.getKey()) + "' " + problem);
			}
		}
		for (Map.Entry<Method, CachedAllOperation> entry : source.getBulkOperations().entrySet()) {
			String problem = CachedAnnotationValidator.remoteKeyProblem(entry.getKey(), entry.getValue(), tier);
			if (problem != null) {
				throw new IllegalStateException("Method '" + CacheRegistry.describe(entry.getKey()) + "' " + problem);
			}
		}
	}

	private static void readFactoryBeanObjects(ConfigurableListableBeanFactory beanFactory) {
		for (String name : beanFactory.getBeanDefinitionNames()) {
			if (!beanFactory.isFactoryBean(name)) {
				continue;
			}
			BeanDefinition definition = beanFactory.getMergedBeanDefinition(name);
			if (!definition.isSingleton() || definition.isAbstract() || definition.isLazyInit()
					|| !beanFactory.isSingleton(name)) {
				// only an object that exists once is made now; a prototype object is read
				// when it is created, like any lazy bean
				continue;
			}
			Class<?> type = beanFactory.getType(name, false);
			if (type != null && hasAnnotatedMethod(type)) {
				// post-processing the object reads it (postProcessAfterInitialization)
				beanFactory.getBean(name);
			}
		}
	}

	private static boolean hasAnnotatedMethod(Class<?> type) {
		for (Method method : methodsToCheck(type)) {
			if (CachedOperationSource.isAnnotated(method)) {
				return true;
			}
		}
		return false;
	}

	@Override
	public int getOrder() {
		// after the auto-proxy creator, so that the proxy it made can be unwrapped
		return Ordered.LOWEST_PRECEDENCE;
	}

}
