package dev.cached.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.jspecify.annotations.Nullable;

import dev.cached.engine.CachedCache;

/**
 * Sends one bulk script ({@link BulkScripts}) over many cache keys: three Redis keys per
 * cache key in {@code KEYS} (its bucket's meta hash first, then keys of the same slot),
 * arguments common to all and arguments per key, and a reply of a fixed number of items
 * per key. On a single Redis or Sentinel it is one script. On a cluster the keys are
 * grouped by the node that serves their bucket's slot, one script per node (with the
 * shebang that allows several slots, Redis 7, one key declared so that the cluster takes
 * the command, and every key in its arguments); a node's script that fails (its slots
 * moved during a reshard or a failover) is sent again as one script per bucket. The
 * reply holds the items of every key in the order given; a key whose script failed gets
 * {@code 0} and {@code null}s.
 */
final class RedisBulkRouting {

	private final RedisConnection connection;

	private final CachedCache cache;

	RedisBulkRouting(RedisConnection connection, CachedCache cache) {
		this.connection = connection;
		this.cache = cache;
	}

	/**
	 * Run a bulk script; never blocks.
	 * @param what the command, for the log
	 * @param script the script
	 * @param keys three Redis keys per cache key
	 * @param common the arguments before those of the keys
	 * @param perKey the arguments of each key, {@code argsPerKey} each
	 * @param argsPerKey how many arguments each key has
	 * @param itemsPerKey how many items the reply has per key
	 * @return the items; it fails with {@link Unavailable} if a single script failed
	 */
	CompletableFuture<List<Object>> run(String what, String script, byte[][] keys, byte[][] common, byte[][] perKey,
			int argsPerKey, int itemsPerKey) {
		Partitions partitions = this.connection.partitions();
		int count = keys.length / 3;
		List<Integer> all = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			all.add(i);
		}
		if (partitions == null) {
			return send(what, script, false, all, keys, common, perKey, argsPerKey);
		}
		Map<Object, List<Integer>> byNode = new LinkedHashMap<>();
		for (int i = 0; i < count; i++) {
			int slot = SlotHash.getSlot(keys[3 * i]);
			RedisClusterNode node = partitions.getPartitionBySlot(slot);
			byNode.computeIfAbsent((node != null) ? node.getNodeId() : "slot " + slot, (n) -> new ArrayList<>()).add(i);
		}
		Object[] items = new Object[count * itemsPerKey];
		List<CompletableFuture<Void>> sent = new ArrayList<>();
		for (List<Integer> group : byNode.values()) {
			boolean crossSlot = !sameSlot(group, keys);
			sent.add(send(what, crossSlot ? BulkScripts.crossSlot(script) : script, crossSlot, group, keys, common,
					perKey, argsPerKey)
				.handle((reply, error) -> (error == null) ? CompletableFuture.completedFuture(reply)
						: perBucket(what, script, group, keys, common, perKey, argsPerKey, itemsPerKey))
				.thenCompose((reply) -> reply)
				.thenAccept((reply) -> place(reply, group, items, itemsPerKey)));
		}
		return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0]))
			.thenApply((done) -> Arrays.asList(items));
	}

	/** After a node's script failed: one script per bucket, a failed one answering {@code 0} for its keys. */
	private CompletableFuture<List<Object>> perBucket(String what, String script, List<Integer> group, byte[][] keys,
			byte[][] common, byte[][] perKey, int argsPerKey, int itemsPerKey) {
		Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
		for (int i : group) {
			bySlot.computeIfAbsent(SlotHash.getSlot(keys[3 * i]), (slot) -> new ArrayList<>()).add(i);
		}
		Object[] items = new Object[count(keys) * itemsPerKey];
		List<CompletableFuture<Void>> sent = new ArrayList<>();
		for (List<Integer> bucket : bySlot.values()) {
			sent.add(send(what, script, false, bucket, keys, common, perKey, argsPerKey)
				.handle((reply, error) -> (error == null) ? reply : failed(bucket.size(), itemsPerKey))
				.thenAccept((reply) -> place(reply, bucket, items, itemsPerKey)));
		}
		return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).thenApply((done) -> {
			List<Object> reply = new ArrayList<>(group.size() * itemsPerKey);
			for (int i : group) {
				for (int item = 0; item < itemsPerKey; item++) {
					reply.add(items[i * itemsPerKey + item]);
				}
			}
			return reply;
		});
	}

	/**
	 * Send one script for a group of keys: declared in {@code KEYS}, or, for keys of several
	 * slots, the first one declared and all of them in {@code ARGV} ({@link BulkScripts#crossSlot}).
	 */
	private CompletableFuture<List<Object>> send(String what, String script, boolean crossSlot, List<Integer> group,
			byte[][] keys, byte[][] common, byte[][] perKey, int argsPerKey) {
		byte[][] groupKeys = new byte[group.size() * 3][];
		byte[][] args = new byte[common.length + group.size() * argsPerKey][];
		System.arraycopy(common, 0, args, 0, common.length);
		for (int at = 0; at < group.size(); at++) {
			int i = group.get(at);
			System.arraycopy(keys, 3 * i, groupKeys, 3 * at, 3);
			System.arraycopy(perKey, argsPerKey * i, args, common.length + argsPerKey * at, argsPerKey);
		}
		byte[][] declared = groupKeys;
		byte[][] arguments = args;
		if (crossSlot) {
			declared = new byte[][] { groupKeys[0] };
			arguments = new byte[1 + groupKeys.length + args.length][];
			arguments[0] = RedisConnection.bytes(Integer.toString(groupKeys.length));
			System.arraycopy(groupKeys, 0, arguments, 1, groupKeys.length);
			System.arraycopy(args, 0, arguments, 1 + groupKeys.length, args.length);
		}
		byte[][] sentKeys = declared;
		byte[][] sentArguments = arguments;
		return this.connection.callAsync(this.cache, what,
				(c) -> c.<List<Object>>eval(script, ScriptOutputType.MULTI, sentKeys, sentArguments));
	}

	private static void place(List<Object> reply, List<Integer> group, Object[] items, int itemsPerKey) {
		for (int at = 0; at < group.size(); at++) {
			for (int item = 0; item < itemsPerKey; item++) {
				items[group.get(at) * itemsPerKey + item] = reply.get(at * itemsPerKey + item);
			}
		}
	}

	private static List<Object> failed(int keys, int itemsPerKey) {
		List<@Nullable Object> items = new ArrayList<>();
		for (int i = 0; i < keys * itemsPerKey; i++) {
			items.add((i % itemsPerKey == 0) ? 0L : null);
		}
		return items;
	}

	private static boolean sameSlot(List<Integer> group, byte[][] keys) {
		int slot = SlotHash.getSlot(keys[3 * group.get(0)]);
		for (int i : group) {
			if (SlotHash.getSlot(keys[3 * i]) != slot) {
				return false;
			}
		}
		return true;
	}

	private static int count(byte[][] keys) {
		return keys.length / 3;
	}

}
