package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisServer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@link BulkBenchmarks}' request (100 ids, 90 cached, 10 never asked before; one simulated
 * 200 µs database round trip per execution) on a remote cache: each fork starts its own
 * {@code redis-server} and one {@link BulkApplication} instance whose cache {@code users}
 * is remote. {@code cachedAll} ({@code @CachedAll}), {@code cachedLoop} (a loop of
 * {@code @Cached} calls) and {@code noCache} (the query for all 100 ids) from the same run.
 * <p>
 * {@code hits=local}: the 9,000 warm ids are in the local store too (a hit never reaches
 * Redis; each missing id costs Redis a read, a lease and a write). {@code hits=redis}: the
 * local store holds at most {@value #SMALL_LOCAL} entries, so a cached id is read from
 * Redis (as on an instance that has not seen it yet). The fork fails unless 10% of the
 * requested ids ran (100% for {@code noCache}), and, with {@code hits=redis}, unless at
 * least 85% of them were Redis hits.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g", "-Xbatch" })
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class RedisBulkBenchmarks {

	static final int SMALL_LOCAL = 100;

	@Param({ "local", "redis" })
	public String hits;

	private RedisServer redis;

	private ConfigurableApplicationContext context;

	private BulkApplication.Users users;

	private CachedCache cache;

	private boolean noCache;

	private long rows;

	private long remoteHits;

	private final java.util.concurrent.atomic.LongAdder requested = new java.util.concurrent.atomic.LongAdder();

	@Setup(Level.Trial)
	public void setUp(BenchmarkParams params) {
		this.noCache = params.getBenchmark().endsWith(".noCache");
		this.redis = RedisBenchmarkApplication.startRedis();
		try {
			this.context = BulkApplication.start(this.redis.port(), "--cached.caches.users.max-size="
					+ (this.hits.equals("redis") ? SMALL_LOCAL : 50_000));
			this.users = this.context.getBean(BulkApplication.Users.class);
			for (long from = 0; from < BulkBenchmarks.WARM; from += 1_000) {
				List<Long> ids = new ArrayList<>();
				for (long id = from; id < from + 1_000; id++) {
					ids.add(id);
				}
				Map<Long, String> found = this.users.findAll(ids);
				if (found.size() != ids.size() || !found.get(from).equals(BulkApplication.Users.value(from))) {
					throw new IllegalStateException("Sanity check failed: warming did not answer every id");
				}
			}
			this.cache = RedisBenchmarkApplication.cache(this.context, BulkApplication.CACHE, true);
			this.rows = BulkApplication.Users.ROWS.sum();
			this.remoteHits = this.cache.getRemoteStatistics().hits();
		}
		catch (RuntimeException | Error ex) {
			tearDown();
			throw ex;
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		String problem = null;
		long asked = this.requested.sum();
		if (this.cache != null && asked > 0) {
			double ran = (double) (BulkApplication.Users.ROWS.sum() - this.rows) / asked;
			double fromRedis = (double) (this.cache.getRemoteStatistics().hits() - this.remoteHits) / asked;
			System.out.printf("%n# ids asked %d, ran %.3f, Redis hits %.3f%n", asked, ran, fromRedis);
			if (Math.abs(ran - (this.noCache ? 1.0 : 0.1)) > 0.02) {
				problem = "the share of ids that ran was " + ran + ", not " + (this.noCache ? 1.0 : 0.1);
			}
			else if (!this.noCache && this.hits.equals("redis") && fromRedis < 0.85) {
				problem = "only " + fromRedis + " of the ids were Redis hits";
			}
		}
		if (this.context != null) {
			this.context.close();
		}
		if (this.redis != null) {
			this.redis.close();
		}
		if (problem != null) {
			throw new IllegalStateException("Sanity check failed: " + problem + "; the mix is not what it says");
		}
	}

	@Benchmark
	public Map<Long, String> cachedAll(BulkBenchmarks.Request request) {
		this.requested.add(BulkBenchmarks.REQUEST);
		return this.users.findAll(request.next());
	}

	@Benchmark
	public Map<Long, String> cachedLoop(BulkBenchmarks.Request request) {
		this.requested.add(BulkBenchmarks.REQUEST);
		List<Long> ids = request.next();
		Map<Long, String> found = new HashMap<>();
		for (Long id : ids) {
			found.put(id, this.users.find(id));
		}
		return found;
	}

	@Benchmark
	public Map<Long, String> noCache(BulkBenchmarks.Request request) {
		List<Long> ids = request.next();
		this.requested.add(ids.size());
		BulkApplication.Users.ROWS.add(ids.size());
		return BulkBenchmarks.query(ids);
	}

}
