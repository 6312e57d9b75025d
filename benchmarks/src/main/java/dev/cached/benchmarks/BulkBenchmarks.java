package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.ThreadParams;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A request for 100 ids of which 90 are cached (the same 9,000 warm ids, walked by each
 * thread) and 10 are not (new ids every request): {@code @CachedAll} (one execution for the
 * 10 missing ids), a loop of {@code @Cached} calls (10 executions of one id each) and no
 * cache (one execution for all 100); and, for the cost of the bulk path itself,
 * {@code cachedAllHits}: 100 ids that are all cached. Every execution waits one simulated
 * round trip ({@link #ROUND_TRIP_NANOS}, parked, as a thread waits for a database's answer)
 * and spends {@link #PER_ROW} JMH CPU tokens per id. The fork fails after measuring unless
 * the cache's hit ratio was 90% (within two points; 100% for {@code cachedAllHits}), so the
 * mix is what it says.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class BulkBenchmarks {

	static final int REQUEST = 100;

	static final int MISSING = 10;

	static final int WARM = 9_000;

	static final long ROUND_TRIP_NANOS = 200_000;

	static final long PER_ROW = 20;

	private ConfigurableApplicationContext context;

	private BulkService service;

	private CacheStatistics statistics;

	@Setup(Level.Trial)
	public void setUp() {
		this.context = new SpringApplicationBuilder(BulkConfiguration.class).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.properties("spring.main.banner-mode=off", "logging.level.root=WARN", "cached.caches.users.max-size=50000")
			.run();
		this.service = this.context.getBean(BulkService.class);
		List<Long> warm = new ArrayList<>();
		for (long id = 0; id < WARM; id++) {
			warm.add(id);
		}
		check(this.service.findAll(warm).size() == WARM, "warming did not answer every id");
		this.statistics = this.context.getBean(CacheRegistry.class).getCache("users").getStatistics();
		this.before = this.statistics.hits() + this.statistics.misses();
		this.hitsBefore = this.statistics.hits();
	}

	private long before;

	private long hitsBefore;

	@TearDown(Level.Trial)
	public void tearDown() {
		long gets = this.statistics.hits() + this.statistics.misses() - this.before;
		long hits = this.statistics.hits() - this.hitsBefore;
		this.context.close();
		if (gets > 0) {
			double ratio = (double) hits / gets;
			check(Math.abs(ratio - 0.9) < 0.02 || ratio == 1.0, "the hit ratio was " + ratio + ", not 0.9 (or 1)");
		}
	}

	@Benchmark
	public Map<Long, String> cachedAll(Request request) {
		return this.service.findAll(request.next());
	}

	@Benchmark
	public Map<Long, String> cachedLoop(Request request) {
		List<Long> ids = request.next();
		Map<Long, String> found = new HashMap<>();
		for (Long id : ids) {
			found.put(id, this.service.find(id));
		}
		return found;
	}

	@Benchmark
	public Map<Long, String> cachedAllHits(Request request) {
		return this.service.findAll(request.warm());
	}

	@Benchmark
	public Map<Long, String> noCache(Request request) {
		return query(request.next());
	}

	static Map<Long, String> query(Collection<Long> ids) {
		LockSupport.parkNanos(ROUND_TRIP_NANOS);
		Map<Long, String> rows = new HashMap<>();
		for (Long id : ids) {
			Blackhole.consumeCPU(PER_ROW);
			rows.put(id, Keys.VALUES[(int) (id & Keys.MASK)]);
		}
		return rows;
	}

	private static void check(boolean condition, String message) {
		if (!condition) {
			throw new IllegalStateException("BulkBenchmarks: " + message);
		}
	}

	/** Each thread's requests: 90 warm ids from its own position, 10 ids never asked before. */
	@State(Scope.Thread)
	public static class Request {

		private int warm;

		private long fresh;

		@Setup(Level.Trial)
		public void setUp(ThreadParams thread) {
			this.warm = (thread.getThreadIndex() * 977) % WARM;
			this.fresh = (thread.getThreadIndex() + 1) * 1_000_000_000L;
		}

		List<Long> warm() {
			List<Long> ids = new ArrayList<>(REQUEST);
			for (int i = 0; i < REQUEST; i++) {
				ids.add((long) this.warm);
				this.warm = (this.warm + 1) % WARM;
			}
			return ids;
		}

		List<Long> next() {
			List<Long> ids = new ArrayList<>(REQUEST);
			for (int i = 0; i < REQUEST - MISSING; i++) {
				ids.add((long) this.warm);
				this.warm = (this.warm + 1) % WARM;
			}
			for (int i = 0; i < MISSING; i++) {
				ids.add(this.fresh++);
			}
			return ids;
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ AopAutoConfiguration.class, CachedAutoConfiguration.class })
	static class BulkConfiguration {

		@Bean
		BulkService bulkService() {
			return new BulkService();
		}

	}

	/** One id at a time and many at a time, sharing cache {@code users}. */
	public static class BulkService {

		@Cached(name = "users")
		public String find(long id) {
			return query(List.of(id)).get(id);
		}

		@CachedAll(name = "users")
		public Map<Long, String> findAll(Collection<Long> ids) {
			return query(ids);
		}

	}

}
