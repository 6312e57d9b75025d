package dev.cached.redis;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.redis.FailoverSentinelTests.Books;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis Cluster is not supported yet: an application configured with
 * {@code spring.data.redis.cluster.nodes} starts, is told so at startup in one warning,
 * and its remote caches work as on a single Redis (each cache on the node of its hash
 * slot). Sentinel needs no such warning.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisClusterWarningTests {

	private static final String WARNING = "cached.redis on a Redis Cluster (spring.data.redis.cluster.*) is not "
			+ "supported yet";

	@Test
	void aClusterStartsWithAWarningAndItsCachesWorkAsOnOneRedis(CapturedOutput output) {
		try (RedisCluster cluster = RedisCluster.start();
				ConfigurableApplicationContext context = new SpringApplicationBuilder(
						FailoverSentinelTests.Application.class)
					.web(WebApplicationType.NONE)
					.run("--cached.redis.enabled=true", "--cached.caches.books.remote=true",
							"--spring.data.redis.cluster.nodes=" + String.join(",", cluster.addresses()))) {
			assertThat(output).containsOnlyOnce(WARNING);
			String value = context.getBean(Books.class).book("cluster");
			RedisServer node = cluster.nodeFor(Instances.entry("books", "cluster"));
			assertThat(node.get(Instances.entry("books", "cluster"))).asString().isEqualTo("\"" + value + "\"");
		}
	}

	@Test
	void oneRedisStartsWithoutTheWarning(CapturedOutput output) {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = new SpringApplicationBuilder(
						FailoverSentinelTests.Application.class)
					.web(WebApplicationType.NONE)
					.run("--cached.redis.enabled=true", "--spring.data.redis.port=" + redis.port())) {
			assertThat(context.getBean(RedisTier.class)).isNotNull();
			assertThat(output).doesNotContain(WARNING);
		}
	}

}
