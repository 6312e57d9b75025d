package dev.cached.redis;

import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.redis.FailoverSentinelTests.Books;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a Redis Cluster, Lettuce follows a failover only if it refreshes the cluster's
 * topology: an application configured with {@code spring.data.redis.cluster.nodes} alone
 * is told so at startup in one warning where Lettuce refreshes nothing by default (Lettuce
 * 6; its remote caches work until a failover); with Boot's
 * {@code spring.data.redis.lettuce.cluster.refresh.*}, or Lettuce 7's default, it is not. One Redis and
 * Sentinel need no such warning.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisClusterWarningTests {

	private static final String WARNING = "cached.redis on a Redis Cluster: Lettuce does not refresh the "
			+ "cluster's topology";

	private static RedisCluster cluster;

	@BeforeAll
	static void start() {
		cluster = RedisCluster.start();
	}

	@AfterAll
	static void stop() {
		if (cluster != null) {
			cluster.close();
		}
	}

	/**
	 * {@code spring.data.redis.cluster.nodes} alone: Lettuce 6 (Spring Boot 4.0) then
	 * refreshes nothing, and the warning is logged once; Lettuce 7 (Spring Boot 4.1)
	 * enables every adaptive refresh trigger by default, and there is nothing to warn of.
	 */
	@Test
	void aClusterWithoutTopologyRefreshStartsWithAWarningAndItsCachesWork(CapturedOutput output) {
		try (ConfigurableApplicationContext context = run("--cached.caches.books.remote=true",
				"--spring.data.redis.cluster.nodes=" + String.join(",", cluster.addresses()))) {
			if (ClusterTopologyRefreshOptions.DEFAULT_ADAPTIVE_REFRESH_TRIGGERS.isEmpty()) {
				assertThat(output).containsOnlyOnce(WARNING);
			}
			else {
				assertThat(output).as("Lettuce refreshes adaptively by default").doesNotContain(WARNING);
			}
			assertReadsItsValueFromRedis(context, "without-refresh");
		}
	}

	@Test
	void aClusterWithTopologyRefreshStartsWithoutTheWarning(CapturedOutput output) {
		for (String refresh : new String[] { "--spring.data.redis.lettuce.cluster.refresh.adaptive=true",
				"--spring.data.redis.lettuce.cluster.refresh.period=1s" }) {
			try (ConfigurableApplicationContext context = run("--cached.caches.books.remote=true",
					"--spring.data.redis.cluster.nodes=" + String.join(",", cluster.addresses()), refresh)) {
				assertReadsItsValueFromRedis(context, "with-refresh" + refresh.length());
			}
		}
		assertThat(output).doesNotContain(WARNING);
	}

	@Test
	void oneRedisStartsWithoutTheWarning(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run("--spring.data.redis.port=" + redis.port())) {
			assertThat(context.getBean(RedisTier.class)).isNotNull();
			assertThat(output).doesNotContain(WARNING);
		}
	}

	private static ConfigurableApplicationContext run(String... args) {
		String[] all = new String[args.length + 1];
		all[0] = "--cached.redis.enabled=true";
		System.arraycopy(args, 0, all, 1, args.length);
		return new SpringApplicationBuilder(FailoverSentinelTests.Application.class).web(WebApplicationType.NONE)
			.run(all);
	}

	/** A value loaded once is read back from Redis once the local copy is gone. */
	private static void assertReadsItsValueFromRedis(ConfigurableApplicationContext context, String key) {
		Books books = context.getBean(Books.class);
		CachedCache cache = context.getBean(CacheRegistry.class).getCache("books");
		String value = books.book(key);
		long hits = cache.getRemoteStatistics().hits();
		cache.invalidateLocally(key);
		assertThat(books.book(key)).isEqualTo(value);
		assertThat(cache.getRemoteStatistics().hits()).as("read from Redis").isEqualTo(hits + 1);
	}

}
