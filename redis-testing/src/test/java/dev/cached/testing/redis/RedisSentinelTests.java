package dev.cached.testing.redis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The launcher {@link RedisSentinelSetup}: a primary, a replica and three sentinels that
 * know each other; a killed primary is replaced by the replica. One setup for the class;
 * the failover runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisSentinelTests {

	private static RedisSentinelSetup sentinel;

	@BeforeAll
	static void startSentinel() {
		sentinel = RedisSentinelSetup.start();
	}

	@AfterAll
	static void closeSentinel() {
		if (sentinel != null) {
			sentinel.close();
		}
	}

	@Test
	@Order(1)
	void startsAPrimaryAReplicaAndThreeSentinelsThatKnowEachOther() {
		assertThat(sentinel.masterName()).isEqualTo("mymaster");
		assertThat(sentinel.dataNodes()).hasSize(2);
		assertThat(sentinel.sentinels()).hasSize(3);
		assertThat(sentinel.sentinelAddresses()).hasSize(3)
			.allMatch((address) -> address.startsWith("127.0.0.1:"))
			.doesNotContain("127.0.0.1:6379", "127.0.0.1:26379");
		RedisServer primary = sentinel.dataNodes().get(0);
		assertThat(sentinel.primary()).isSameAs(primary);
		assertThat(sentinel.replicas()).containsExactly(sentinel.dataNodes().get(1));
		for (RedisServer each : sentinel.sentinels()) {
			assertThat(each.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
				.isEqualTo(List.of("127.0.0.1", String.valueOf(primary.port())));
			assertThat((List<?>) each.command("SENTINEL", "SENTINELS", "mymaster")).hasSize(2);
			assertThat((List<?>) each.command("SENTINEL", "REPLICAS", "mymaster")).hasSize(1);
		}
	}

	@Test
	@Order(2)
	void replicatesThePrimarysWrites() {
		RedisServer primary = sentinel.primary();
		assertThat(primary.command("SET", "replicated", "v")).isEqualTo("OK");
		assertThat(primary.command("WAIT", "1", "5000")).isEqualTo(1L);
		assertThat(sentinel.replicas().get(0).command("GET", "replicated")).isEqualTo("v");
	}

	@Test
	@Order(3)
	void promotesTheReplicaWhenThePrimaryIsKilled() {
		RedisServer primary = sentinel.primary();
		RedisServer replica = sentinel.replicas().get(0);
		primary.command("SET", "kept", "v");
		assertThat(primary.command("WAIT", "1", "5000")).isEqualTo(1L);
		long start = System.nanoTime();
		RedisServer promoted = sentinel.killPrimary();
		System.out.println("RedisSentinelTests: kill -9 of the primary: a new primary after "
				+ Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
		assertThat(promoted).isSameAs(replica);
		assertThat(primary.isRunning()).isFalse();
		assertThat(promoted.command("ROLE")).asList().first().isEqualTo("master");
		assertThat(promoted.command("GET", "kept")).isEqualTo("v");
		for (RedisServer each : sentinel.sentinels()) {
			assertThat(each.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
				.isEqualTo(List.of("127.0.0.1", String.valueOf(promoted.port())));
		}
	}

	@Test
	void rejectsOptionsItCannotStart() {
		assertThatIllegalArgumentException().isThrownBy(() -> RedisSentinelSetup.builder().masterName("my master"));
		assertThatIllegalArgumentException().isThrownBy(() -> RedisSentinelSetup.builder().replicas(0));
		assertThatIllegalArgumentException().isThrownBy(() -> RedisSentinelSetup.builder().sentinels(0));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> RedisSentinelSetup.builder().downAfter(Duration.ofMillis(10)));
	}

	@Test
	void closingStopsEveryServerAndDeletesItsDirectory() {
		List<RedisServer> servers = new ArrayList<>();
		List<Path> directories = new ArrayList<>();
		try (RedisSentinelSetup small = RedisSentinelSetup.builder().sentinels(1).masterName("small").start()) {
			assertThat(small.primary()).isSameAs(small.dataNodes().get(0));
			servers.addAll(small.dataNodes());
			servers.addAll(small.sentinels());
			for (RedisServer server : servers) {
				directories.add(server.directory());
			}
		}
		assertThat(servers).hasSize(3).noneMatch(RedisServer::isRunning);
		assertThat(directories).noneMatch(Files::exists);
	}

}
