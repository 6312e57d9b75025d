package dev.cached.testing.redis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a {@link RedisCluster} is formed ({@code redis-cli --cluster create}, then
 * {@code CLUSTER MEET} and {@code CLUSTER REPLICATE} for the replicas), and what a node
 * says of the slots it serves ({@code CLUSTER NODES}).
 */
final class ClusterNodes {

	private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(30);

	private ClusterNodes() {
	}

	static void create(Path cli, List<RedisServer> primaries, List<RedisServer> nodes) {
		List<String> command = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
		for (RedisServer primary : primaries) {
			command.add(Topology.address(primary));
		}
		command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
		String output;
		try {
			output = Processes.run(CREATE_TIMEOUT, command);
		}
		catch (IllegalStateException ex) {
			throw new IllegalStateException(ex.getMessage() + "\n" + Topology.logs(nodes), ex);
		}
		if (!output.contains("[OK] All 16384 slots covered")) {
			throw new IllegalStateException(String.join(" ", command) + " did not cover the slots:\n" + output
					+ "\n" + Topology.logs(nodes));
		}
	}

	static void replicate(List<RedisServer> nodes, int primaries, int replicasPerPrimary) {
		List<RedisServer> replicas = nodes.subList(primaries, nodes.size());
		for (int i = 0; i < replicas.size(); i++) {
			RedisServer replica = replicas.get(i);
			RedisServer primary = nodes.get(i / replicasPerPrimary);
			String primaryId = String.valueOf(primary.command("CLUSTER", "MYID"));
			Resp.expectOk("CLUSTER MEET",
					replica.command("CLUSTER", "MEET", RedisServer.HOST, String.valueOf(primary.port())));
			Topology.await(replica + " to learn of " + primary, RedisCluster.READY_TIMEOUT, nodes,
					() -> String.valueOf(replica.command(Topology.QUERY_TIMEOUT, "CLUSTER", "NODES"))
						.contains(primaryId));
			// the meeting's handshake may still be under way: REPLICATE fails until it is over
			Topology.await(replica + " to replicate " + primary, RedisCluster.READY_TIMEOUT, nodes, () -> {
				replica.command(Topology.QUERY_TIMEOUT, "CLUSTER", "REPLICATE", primaryId);
				return true;
			});
		}
		Topology.await("every node to know every other, and every replica to be in sync", RedisCluster.READY_TIMEOUT, nodes,
				() -> {
					for (RedisServer node : nodes) {
						if (!String.valueOf(nodes.size())
							.equals(Topology.info(node, "cluster_known_nodes", "CLUSTER", "INFO"))) {
							return false;
						}
					}
					for (RedisServer replica : replicas) {
						if (!"up".equals(Topology.info(replica, "master_link_status", "INFO", "replication"))) {
							return false;
						}
					}
					return true;
				});
	}

	/** How many slots a primary says it serves. */
	static int slotsOf(RedisServer primary) {
		int count = 0;
		for (int[] range : ranges(primary)) {
			count += range[1] - range[0] + 1;
		}
		return count;
	}

	static boolean owns(RedisServer primary, int slot) {
		for (int[] range : ranges(primary)) {
			if (slot >= range[0] && slot <= range[1]) {
				return true;
			}
		}
		return false;
	}

	/** The slot ranges a primary serves, from its own line of {@code CLUSTER NODES}. */
	static List<int[]> ranges(RedisServer primary) {
		String nodes = String.valueOf(primary.command(Topology.QUERY_TIMEOUT, "CLUSTER", "NODES"));
		List<int[]> ranges = new ArrayList<>();
		for (String line : nodes.split("\n")) {
			String[] fields = line.trim().split(" ");
			if (fields.length < 8 || !fields[2].contains("myself")) {
				continue;
			}
			for (int i = 8; i < fields.length; i++) {
				String range = fields[i];
				if (range.startsWith("[")) {
					// a slot being migrated or imported
					continue;
				}
				int dash = range.indexOf('-');
				int from = Integer.parseInt((dash < 0) ? range : range.substring(0, dash));
				int to = (dash < 0) ? from : Integer.parseInt(range.substring(dash + 1));
				ranges.add(new int[] { from, to });
			}
		}
		return ranges;
	}

}
