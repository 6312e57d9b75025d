package dev.cached.benchmarks;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;

/**
 * One instance of an application on the Redis tier, as the Redis benchmarks start it
 * (the auto-configurations it needs, imported explicitly as in
 * {@link BenchmarkApplication}, so that its hit path is the one the hit benchmarks measure)
 * (several per JVM stand for several instances): a remote cache {@code remote} of
 * 32-character values, a remote cache {@code slow} whose body takes
 * {@value #BODY_MILLIS} ms, and a local cache {@code local}.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({ PropertyPlaceholderAutoConfiguration.class, AopAutoConfiguration.class,
		JacksonAutoConfiguration.class, DataRedisAutoConfiguration.class, CachedAutoConfiguration.class,
		CachedRedisAutoConfiguration.class })
class RedisBenchmarkApplication {

	static final long BODY_MILLIS = 5;

	/** Executions of {@link Service#slow(long)} in every instance of this JVM. */
	static final AtomicInteger SLOW_EXECUTIONS = new AtomicInteger();

	/** When the last execution of {@link Service#slow(long)} ended, in nanoTime. */
	static final AtomicLong SLOW_ENDED = new AtomicLong();

	@Bean
	Service redisBenchmarkService() {
		return new Service();
	}

	/**
	 * Start one instance on the Redis server at {@code port}.
	 * @param port the port
	 * @param redis whether the Redis tier is on
	 * @return the instance
	 */
	static ConfigurableApplicationContext start(int port, boolean redis) {
		return new SpringApplicationBuilder(RedisBenchmarkApplication.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.properties("spring.main.banner-mode=off", "logging.level.root=WARN", "spring.data.redis.port=" + port,
					"cached.redis.enabled=" + redis, "cached.defaults.ttl=10m", "cached.defaults.max-size=10000",
					"cached.caches.remote.remote=true", "cached.caches.slow.remote=true",
					"spring.data.redis.repositories.enabled=false",
					// JMH forks compile in the foreground (-Xbatch): early calls may take longer
					// than the default bound, which would send them local; the bound costs nothing
					// on a call that answers in time
					"cached.redis.timeout=5s")
			.run();
	}

	/** The cached methods. */
	static class Service {

		@Cached(name = "remote", key = "#id")
		public String remote(long id) {
			return Keys.VALUES[(int) (id & (Keys.COUNT - 1))];
		}

		@Cached(name = "local", key = "#id")
		public String local(long id) {
			return Keys.VALUES[(int) (id & (Keys.COUNT - 1))];
		}

		@Cached(name = "slow", key = "#id")
		public String slow(long id) throws InterruptedException {
			SLOW_EXECUTIONS.incrementAndGet();
			Thread.sleep(BODY_MILLIS);
			SLOW_ENDED.set(System.nanoTime());
			return "value " + id;
		}

	}

}
