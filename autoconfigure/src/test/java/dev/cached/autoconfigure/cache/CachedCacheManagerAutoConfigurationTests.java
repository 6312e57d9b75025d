package dev.cached.autoconfigure.cache;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cached.Cached;
import dev.cached.actuate.cache.CachedCacheManager;
import dev.cached.actuate.cache.CachedSpringCache;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.metrics.CachedMetricsAutoConfiguration;
import dev.cached.engine.CachedCache;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.cache.actuate.endpoint.CachesEndpoint;
import org.springframework.boot.cache.actuate.endpoint.CachesEndpoint.CacheManagerDescriptor;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.CachesEndpointAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.metrics.CacheMetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedCacheManagerAutoConfiguration}, alone and beside an application
 * that uses Spring's {@code @Cacheable} with Spring Boot's auto-configured
 * {@link CacheManager} and cache metrics.
 */
class CachedCacheManagerAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class,
				CachedCacheManagerAutoConfiguration.class, CachesEndpointAutoConfiguration.class))
		.withUserConfiguration(CachedServiceConfiguration.class)
		.withPropertyValues("management.endpoints.web.exposure.include=caches");

	@Test
	void runWhenCachesEndpointIsAvailableShouldHaveCacheManagerView() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasBean("cachedCacheManager");
			CachedCacheManager cacheManager = context.getBean("cachedCacheManager", CachedCacheManager.class);
			assertThat(cacheManager.getCacheNames()).containsExactly("CachedService.square");
			Cache cache = cacheManager.getCache("CachedService.square");
			assertThat(cache).isInstanceOf(CachedSpringCache.class);
			assertThat(cache.getNativeCache()).isInstanceOf(CachedCache.class);
			assertThat(cacheManager.getCache("nope")).isNull();
		});
	}

	@Test
	void cachesEndpointListsCachedCaches() {
		this.contextRunner.run((context) -> {
			Map<String, CacheManagerDescriptor> managers = context.getBean(CachesEndpoint.class)
				.caches()
				.getCacheManagers();
			assertThat(managers).containsOnlyKeys("cachedCacheManager");
			assertThat(managers.get("cachedCacheManager").getCaches()).containsOnlyKeys("CachedService.square");
			assertThat(managers.get("cachedCacheManager").getCaches().get("CachedService.square").getTarget())
				.isEqualTo(CachedCache.class.getName());
		});
	}

	@Test
	void cacheViewReadsWritesAndClearsTheCachedCache() {
		this.contextRunner.run((context) -> {
			CachedService service = context.getBean(CachedService.class);
			service.square(3);
			Cache cache = context.getBean("cachedCacheManager", CacheManager.class).getCache("CachedService.square");
			assertThat(cache.get(3).get()).isEqualTo(9);
			cache.put(4, 17);
			assertThat(service.square(4)).isEqualTo(17);
			cache.evict(4);
			assertThat(cache.get(4)).isNull();
			assertThat(cache.get(5, () -> 25)).isEqualTo(25);
			assertThat(service.square(5)).isEqualTo(25);
			assertThat(service.calls()).isEqualTo(1);
			context.getBean(CachesEndpoint.class).clearCaches();
			assertThat(cache.get(3)).isNull();
			assertThat(service.square(3)).isEqualTo(9);
			assertThat(service.calls()).isEqualTo(2);
		});
	}

	@Test
	void runWhenCachesEndpointIsNotExposedShouldNotHaveCacheManagerView() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run((context) -> assertThat(context).doesNotHaveBean(CacheManager.class));
	}

	@Test
	void runWithoutSpringBootCacheModuleShouldNotHaveCacheManagerView() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(CachesEndpoint.class))
			.run((context) -> assertThat(context).doesNotHaveBean(CacheManager.class));
	}

	@Test
	void runWhenCachedIsDisabledShouldNotHaveCacheManagerView() {
		this.contextRunner.withPropertyValues("cached.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CacheManager.class));
	}

	@Test
	void runWithUserBeanNamedCachedCacheManagerShouldBackOff() {
		CacheManager userCacheManager = new CaffeineCacheManager();
		this.contextRunner.withBean("cachedCacheManager", CacheManager.class, () -> userCacheManager)
			.run((context) -> assertThat(context).getBean("cachedCacheManager").isSameAs(userCacheManager));
	}

	/**
	 * An application with {@code @EnableCaching}, Spring Boot's Caffeine cache manager and
	 * cache metrics, and the starter: each cache manager keeps its own caches, injection by
	 * type gets Spring Boot's, {@code @Cacheable} and {@code @Cached} both work, both show
	 * in {@code /actuator/caches}, and the {@code @Cached} cache has exactly one set of
	 * meters, the starter's.
	 */
	@Test
	void runBesideSpringBootCacheManagerAndCacheMetricsShouldNotReplaceHideOrDoubleCount() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(CacheAutoConfiguration.class, MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					CacheMetricsAutoConfiguration.class, CachedMetricsAutoConfiguration.class))
			.withUserConfiguration(CacheableServiceConfiguration.class)
			.withPropertyValues("spring.cache.type=caffeine", "spring.cache.cache-names=books")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(CacheManager.class)).isInstanceOf(CaffeineCacheManager.class);
				assertThat(context.getBean(CacheManagerUser.class).cacheManager())
					.isInstanceOf(CaffeineCacheManager.class);
				assertThat(context.getBeansOfType(CacheManager.class)).containsOnlyKeys("cacheManager",
						"cachedCacheManager");
				BookService books = context.getBean(BookService.class);
				books.title(1);
				books.title(1);
				assertThat(books.calls()).isEqualTo(1);
				assertThat(context.getBean(CacheManager.class).getCache("books").get(1)).isNotNull();
				CachedService cached = context.getBean(CachedService.class);
				cached.square(2);
				cached.square(2);
				cached.square(2);
				assertThat(cached.calls()).isEqualTo(1);
				Map<String, CacheManagerDescriptor> managers = context.getBean(CachesEndpoint.class)
					.caches()
					.getCacheManagers();
				assertThat(managers).containsOnlyKeys("cacheManager", "cachedCacheManager");
				assertThat(managers.get("cacheManager").getCaches()).containsOnlyKeys("books");
				assertThat(managers.get("cachedCacheManager").getCaches()).containsOnlyKeys("CachedService.square");
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.find("cache.gets").tag("cache", "books").meters())
					.as("Spring Boot binds meters to its own caches")
					.isNotEmpty();
				assertThat(registry.find("cache.gets").tag("cache", "CachedService.square").meters())
					.extracting(Meter::getId)
					.extracting((id) -> id.getTag("result") + "@" + id.getTag("cache.manager"))
					.containsExactlyInAnyOrder("hit@cached", "miss@cached");
				assertThat(registry.find("cache.size").tag("cache", "CachedService.square").meters()).hasSize(1);
				assertThat(registry.get("cache.gets")
					.tags("cache", "CachedService.square", "result", "hit")
					.functionCounter()
					.count()).isEqualTo(2);
			});
	}

	@Test
	void runWithSpringBootCacheMetricsButWithoutCachingShouldBindTheCachedCacheMetersOnce() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(CacheAutoConfiguration.class, MetricsAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					CacheMetricsAutoConfiguration.class, CachedMetricsAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBeansOfType(CacheManager.class)).containsOnlyKeys("cachedCacheManager");
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.find("cache.gets").tag("cache", "CachedService.square").meters())
					.extracting(Meter::getId)
					.extracting((id) -> id.getTag("result") + "@" + id.getTag("cache.manager"))
					.containsExactlyInAnyOrder("hit@cached", "miss@cached");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class CachedServiceConfiguration {

		@Bean
		CachedService cachedService() {
			return new CachedService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableCaching
	static class CacheableServiceConfiguration {

		@Bean
		BookService bookService() {
			return new BookService();
		}

		@Bean
		CacheManagerUser cacheManagerUser(CacheManager cacheManager) {
			return new CacheManagerUser(cacheManager);
		}

		@Bean
		Caffeine<Object, Object> caffeine() {
			return Caffeine.newBuilder().recordStats();
		}

	}

	record CacheManagerUser(CacheManager cacheManager) {
	}

	public static class CachedService {

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		@Cached
		public int square(int x) {
			this.calls.incrementAndGet();
			return x * x;
		}

	}

	static class BookService {

		private final AtomicInteger calls = new AtomicInteger();

		int calls() {
			return this.calls.get();
		}

		@Cacheable("books")
		public String title(int id) {
			this.calls.incrementAndGet();
			return "book-" + id;
		}

	}

}
