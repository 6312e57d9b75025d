package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.autoconfigure.redis.CachedRedisAutoConfiguration;
import dev.cached.testing.redis.RedisServer;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The application of {@link RedisBulkBenchmarks} and {@link BulkStampede}: the starter with
 * its Redis tier (as {@link RedisBenchmarkApplication}) and one {@link Users} service whose
 * {@code @Cached} and {@code @CachedAll} methods share the cache {@value #CACHE}, remote
 * unless {@code cached.redis.enabled=false}.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@ImportAutoConfiguration({ PropertyPlaceholderAutoConfiguration.class, AopAutoConfiguration.class,
		CachedAutoConfiguration.class, DataRedisAutoConfiguration.class, CachedRedisAutoConfiguration.class })
class BulkApplication {

	/** The cache shared by {@link Users#find} and {@link Users#findAll}. */
	static final String CACHE = "users";

	@Bean
	Users users() {
		return new Users();
	}

	/**
	 * Start one instance.
	 * @param port the Redis port (on {@value RedisServer#HOST}); with {@code 0}, the tier is
	 * off ({@code cached.redis.enabled=false})
	 * @param args further properties, as {@code --name=value} (the cache's {@code max-size} is
	 * 50,000 unless they set it)
	 * @return the running instance
	 */
	static ConfigurableApplicationContext start(int port, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--logging.level.root=WARN",
				"--spring.jmx.enabled=false"));
		if (List.of(args).stream().noneMatch((arg) -> arg.startsWith("--cached.caches." + CACHE + ".max-size="))) {
			// a repeated command-line property would be read as a list
			all.add("--cached.caches." + CACHE + ".max-size=50000");
		}
		if (port == 0) {
			all.add("--cached.redis.enabled=false");
		}
		else {
			all.addAll(List.of("--cached.redis.enabled=true", "--cached.redis.timeout=2s",
					"--spring.data.redis.host=" + RedisServer.HOST, "--spring.data.redis.port=" + port,
					"--cached.caches." + CACHE + ".remote=true"));
		}
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(BulkApplication.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.run(all.toArray(new String[0]));
	}

	/**
	 * One id at a time and many at a time, sharing one cache. Every execution parks for
	 * {@link #roundTripNanos} (a database's round trip) and counts itself, its rows, and
	 * (for ids in the window of {@link #track}) each id; the counters are static, so they
	 * count every instance in the JVM.
	 */
	public static class Users {

		/** Executions of either method. */
		static final LongAdder EXECUTIONS = new LongAdder();

		/** Ids passed to either method. */
		static final LongAdder ROWS = new LongAdder();

		static volatile long roundTripNanos = BulkBenchmarks.ROUND_TRIP_NANOS;

		private static volatile long trackedBase = -1;

		private static volatile AtomicIntegerArray tracked = new AtomicIntegerArray(0);

		/**
		 * Count the executions of each id in {@code [base, base + size)} from now on.
		 * @param base the first id
		 * @param size the number of ids
		 * @return the counters, by {@code id - base}
		 */
		static AtomicIntegerArray track(long base, int size) {
			AtomicIntegerArray counters = new AtomicIntegerArray(size);
			tracked = counters;
			trackedBase = base;
			return counters;
		}

		@Cached(name = CACHE)
		public String find(long id) {
			return query(List.of(id)).get(id);
		}

		@CachedAll(name = CACHE)
		public Map<Long, String> findAll(Collection<Long> ids) {
			return query(ids);
		}

		static String value(long id) {
			return Keys.VALUES[(int) (id & Keys.MASK)];
		}

		private static Map<Long, String> query(Collection<Long> ids) {
			EXECUTIONS.increment();
			ROWS.add(ids.size());
			AtomicIntegerArray counters = tracked;
			long base = trackedBase;
			for (Long id : ids) {
				long index = id - base;
				if (index >= 0 && index < counters.length()) {
					counters.incrementAndGet((int) index);
				}
			}
			LockSupport.parkNanos(roundTripNanos);
			Map<Long, String> rows = new LinkedHashMap<>();
			for (Long id : ids) {
				org.openjdk.jmh.infra.Blackhole.consumeCPU(BulkBenchmarks.PER_ROW);
				rows.put(id, value(id));
			}
			return rows;
		}

	}

}
