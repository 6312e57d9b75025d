package dev.cached.redis;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.cached.redis.RedisBulkTests.Users;
import dev.cached.testing.redis.RedisCluster;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bulk call on a Redis Cluster ({@link RedisBulkRouting}): the keys are grouped by the
 * node that serves their bucket's slot, one script per node reads them (and takes the
 * leases of those missing), one per node writes the values; each value lands on the node
 * of its own slot, and another instance reads them all back without running the method.
 */
class RedisBulkRoutingTests {

	@Test
	void aBulkCallRunsOneScriptPerNodeAndItsValuesSpreadOverTheNodes() {
		List<Long> ids = LongStream.rangeClosed(5001, 5040).boxed().toList();
		try (RedisCluster cluster = RedisCluster.start();
				ConfigurableApplicationContext a = start(cluster);
				ConfigurableApplicationContext b = start(cluster)) {
			Users.received.clear();
			assertThat(a.getBean(Users.class).findUsers(ids)).hasSize(ids.size());
			assertThat(Users.received).containsExactly(ids);
			Set<Integer> nodes = new HashSet<>();
			for (long id : ids) {
				String entry = Instances.entry("users", id);
				RedisServer node = cluster.nodeFor(entry);
				assertThat(node.get(entry)).as("entry %s on the node of its slot", id).isNotNull();
				nodes.add(node.port());
			}
			assertThat(nodes).as("nodes holding the entries").hasSizeGreaterThan(1);

			for (RedisServer primary : cluster.primaries()) {
				primary.command("CONFIG", "RESETSTAT");
			}
			assertThat(b.getBean(Users.class).findUsers(ids).keySet()).containsExactlyElementsOf(ids);
			assertThat(Users.received).as("B ran nothing").hasSize(1);
			assertThat(scripts(cluster)).as("scripts run for a warm bulk call of 40")
				.isLessThanOrEqualTo(cluster.primaries().size());
		}
	}

	private static ConfigurableApplicationContext start(RedisCluster cluster) {
		return new SpringApplicationBuilder(RedisBulkTests.Application.class).web(WebApplicationType.NONE)
			.run("--cached.redis.enabled=true", "--cached.defaults.remote=true", "--cached.defaults.ttl=10m",
					"--cached.redis.max-staleness=1h",
					"--spring.data.redis.cluster.nodes=" + String.join(",", cluster.addresses()));
	}

	/** The EVAL and EVALSHA commands run on the primaries since their last {@code CONFIG RESETSTAT}. */
	private static long scripts(RedisCluster cluster) {
		long calls = 0;
		for (RedisServer primary : cluster.primaries()) {
			for (String line : ((String) primary.command("INFO", "commandstats")).split("\r?\n")) {
				if (line.startsWith("cmdstat_eval:") || line.startsWith("cmdstat_evalsha:")) {
					String stats = line.substring(line.indexOf(':') + 1);
					calls += Long.parseLong(stats.substring("calls=".length(), stats.indexOf(',')));
				}
			}
		}
		return calls;
	}

}
