package dev.cached.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.cached.testing.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

/**
 * What a message costs on the Redis the harnesses run on, without the tier: the floor
 * under {@link ManyInstances}' invalidation propagation. A raw Lettuce connection
 * publishes on the first node; a raw subscriber on every node (each its own connection)
 * records when the message reached it. On one {@code redis-server} that is one node; on a
 * cluster ({@code -Dbench.redis=cluster}, {@link BenchmarkRedis}) a message published on
 * one node reaches the others' subscribers over the cluster bus, as the tier's messages do
 * when an instance's subscription sits on another node than the one its script ran on.
 * <p>
 * Per message: the time from just before the {@code PUBLISH} until each subscriber had it
 * (all must, or the run fails); between messages a pause of 0 to 2 ms. Prints p50, p99 and
 * max per subscriber.
 * <pre>
 * java [-Dbench.redis=cluster] -cp "benchmarks/target/classes:$(cat benchmarks/target/benchmark.classpath)" \
 *   dev.cached.benchmarks.RawPubSub [messages]
 * </pre>
 */
public final class RawPubSub {

	private static final String CHANNEL = "bench:raw";

	private static final int WARMUP = 200;

	private RawPubSub() {
	}

	public static void main(String[] args) {
		int messages = (args.length > 0) ? Integer.parseInt(args[0]) : 2000;
		String loadBefore = BenchmarkMain.loadAverage();
		RedisClient client = RedisClient.create();
		List<StatefulRedisPubSubConnection<String, String>> subscribers = new ArrayList<>();
		try (BenchmarkRedis redis = BenchmarkRedis.start()) {
			List<RedisServer> nodes = redis.nodes();
			long[] received = new long[nodes.size()];
			CountDownLatch[] pending = new CountDownLatch[1];
			for (int n = 0; n < nodes.size(); n++) {
				int node = n;
				StatefulRedisPubSubConnection<String, String> subscriber = client
					.connectPubSub(RedisURI.create(RedisServer.HOST, nodes.get(n).port()));
				subscriber.addListener(new RedisPubSubAdapter<>() {
					@Override
					public void message(String channel, String message) {
						received[node] = System.nanoTime();
						pending[0].countDown();
					}
				});
				subscriber.sync().subscribe(CHANNEL);
				subscribers.add(subscriber);
			}
			RedisCommands<String, String> publisher = client
				.connect(RedisURI.create(RedisServer.HOST, nodes.get(0).port()))
				.sync();
			double[][] millis = new double[nodes.size()][messages];
			for (int i = -WARMUP; i < messages; i++) {
				pending[0] = new CountDownLatch(nodes.size());
				long published = System.nanoTime();
				publisher.publish(CHANNEL, "m" + i);
				if (!pending[0].await(10, TimeUnit.SECONDS)) {
					throw new IllegalStateException("Message " + i + " did not reach every subscriber within 10 s");
				}
				if (i >= 0) {
					for (int n = 0; n < nodes.size(); n++) {
						millis[n][i] = (received[n] - published) / 1e6;
					}
				}
				// a pause between messages, as between the harness' invalidations
				LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos((i * 7919L) % 2000));
			}
			StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
					"%nRaw pub/sub on %s (%s): %d messages after %d, published on the first node, "
							+ "load average %s before, %s after%n%n| subscriber | p50 ms | p99 ms | max ms |%n|---|---|---|---|%n",
					redis.describe(), BenchmarkRedis.version(), messages, WARMUP, loadBefore, BenchmarkMain.loadAverage()));
			for (int n = 0; n < nodes.size(); n++) {
				table.append(String.format(Locale.ROOT, "| port %d%s | %.2f | %.2f | %.2f |%n", nodes.get(n).port(),
						(n == 0) ? " (the publisher's node)" : "", ManyInstances.percentile(millis[n], 50),
						ManyInstances.percentile(millis[n], 99), ManyInstances.percentile(millis[n], 100)));
			}
			System.out.print(table);
			for (StatefulRedisPubSubConnection<String, String> subscriber : subscribers) {
				subscriber.close();
			}
			client.shutdown();
			System.exit(0);
		}
		catch (Throwable ex) {
			ex.printStackTrace();
			System.err.println("BENCHMARK FAILED: " + ex);
			System.exit(1);
		}
	}

}
