package dev.cached.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.TraceContext;
import dev.cached.Cached;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Link;
import io.micrometer.tracing.brave.bridge.BraveFinishedSpan;
import io.micrometer.tracing.exporter.FinishedSpan;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spans of a Spring Boot application with a real tracer (Brave, through Boot's own
 * tracing auto-configuration) and the Redis tier, read when they are finished: each
 * {@code cached.wait} span links to the span of the {@code cached.load} it waited for, and
 * the Redis commands of a remote cache's load (Lettuce's own observations, which Boot
 * configures) and what the method observes are children of that {@code cached.load}.
 */
class RedisTracingTests {

	private static final long SECONDS = 30;

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 1,
			"--cached.caches.remote.remote=true", "--cached.caches.remote.ttl=10m",
			"--cached.caches.remoteAsync.remote=true", "--cached.caches.remoteAsync.ttl=10m",
			"--management.tracing.sampling.probability=1.0");

	@BeforeEach
	void forgetSpans() {
		spans().clear();
	}

	@Test
	void eachWaitSpanLinksToTheSpanOfTheLoadItWaitedFor() throws Exception {
		Prices prices = instances.bean(0, Prices.class);
		ObservationRegistry registry = instances.bean(0, ObservationRegistry.class);
		ExecutorService threads = Executors.newFixedThreadPool(64);
		try {
			List<Future<String>> requests = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				requests.add(threads.submit(() -> Observation.createNotStarted("request", registry)
					.observeChecked(() -> prices.local("EUR"))));
			}
			await().atMost(java.time.Duration.ofSeconds(SECONDS))
				.until(() -> instances.engine(0, "local").getStatistics().coalesced() == 63);
			prices.release();
			for (Future<String> request : requests) {
				assertThat(request.get(SECONDS, TimeUnit.SECONDS)).isEqualTo("1.00");
			}
		}
		finally {
			threads.shutdownNow();
		}
		assertThat(prices.executions()).isEqualTo(1);
		await().atMost(java.time.Duration.ofSeconds(SECONDS))
			.until(() -> named("cached.load local").size() == 1 && named("cached.wait local").size() == 63
					&& named("request").size() == 64);
		FinishedSpan load = named("cached.load local").get(0);
		assertThat(load.getTags()).containsEntry("cache", "local")
			.containsEntry("trigger", "miss")
			.containsEntry("result", "success");
		List<String> requestSpans = named("request").stream().map(FinishedSpan::getSpanId).toList();
		assertThat(requestSpans).contains(load.getParentId());
		List<FinishedSpan> waits = named("cached.wait local");
		assertThat(waits).allSatisfy((wait) -> {
			assertThat(wait.getTags()).containsEntry("cache", "local").containsEntry("outcome", "value");
			assertThat(requestSpans).contains(wait.getParentId());
			assertThat(wait.getTraceId()).isNotEqualTo(load.getTraceId());
			assertThat(wait.getLinks()).extracting(Link::getTraceContext)
				.anySatisfy((linked) -> {
					assertThat(linked.traceId()).isEqualTo(load.getTraceId());
					assertThat(linked.spanId()).isEqualTo(load.getSpanId());
				});
		});
		// 63 requests in 63 traces of their own, each with a wait, and one with the load
		assertThat(waits).extracting(FinishedSpan::getTraceId).doesNotHaveDuplicates();
	}

	@Test
	void theRedisCommandsOfARemoteLoadAndWhatTheMethodObservesAreChildrenOfTheLoad() {
		Prices prices = instances.bean(0, Prices.class);
		ObservationRegistry registry = instances.bean(0, ObservationRegistry.class);
		assertThat(Observation.createNotStarted("request", registry).observe(() -> prices.remote("EUR")))
			.isEqualTo("2.00");
		await().atMost(java.time.Duration.ofSeconds(SECONDS))
			.until(() -> named("cached.load remote").size() == 1 && named("request").size() == 1);
		FinishedSpan load = named("cached.load remote").get(0);
		assertThat(load.getParentId()).isEqualTo(named("request").get(0).getSpanId());
		assertThat(named("prices.fetch")).singleElement()
			.satisfies((fetch) -> assertThat(fetch.getParentId()).isEqualTo(load.getSpanId()));
		List<FinishedSpan> commands = spans().stream()
			.filter((span) -> "redis".equals(span.getTags().get("db.system")))
			.filter((span) -> span.getTraceId().equals(load.getTraceId()))
			.toList();
		assertThat(commands).as("Lettuce's spans in the load's trace, of %s", spans())
			.isNotEmpty()
			.allSatisfy((command) -> assertThat(command.getParentId()).isEqualTo(load.getSpanId()));
	}

	@Test
	void theRedisWriteOfAnAsynchronousRemoteLoadIsAChildOfTheLoad() throws Exception {
		Prices prices = instances.bean(0, Prices.class);
		ObservationRegistry registry = instances.bean(0, ObservationRegistry.class);
		CompletableFuture<String> price = Observation.createNotStarted("request", registry)
			.observe(() -> prices.remoteAsync("EUR"));
		assertThat(price.get(SECONDS, TimeUnit.SECONDS)).isEqualTo("3.00");
		await().atMost(java.time.Duration.ofSeconds(SECONDS))
			.until(() -> named("cached.load remoteAsync").size() == 1);
		FinishedSpan load = named("cached.load remoteAsync").get(0);
		// the look, sent from the caller's thread, and the write, sent from the thread that
		// completed the method's future: both in the load's trace, children of the load
		await().atMost(java.time.Duration.ofSeconds(SECONDS))
			.untilAsserted(() -> assertThat(redisCommands(load)).as("Lettuce's spans in the load's trace, of %s", spans())
				.hasSizeGreaterThanOrEqualTo(2)
				.allSatisfy((command) -> assertThat(command.getParentId()).isEqualTo(load.getSpanId())));
		assertThat(instances.engine(0, "remoteAsync").getRemoteStatistics().writes()).isOne();
	}

	private static List<FinishedSpan> redisCommands(FinishedSpan load) {
		return spans().stream()
			.filter((span) -> "redis".equals(span.getTags().get("db.system")))
			.filter((span) -> span.getTraceId().equals(load.getTraceId()))
			.toList();
	}

	private static List<FinishedSpan> named(String name) {
		return spans().stream().filter((span) -> name.equals(span.getName())).toList();
	}

	private static List<FinishedSpan> spans() {
		return instances.bean(0, FinishedSpans.class).spans;
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Prices prices(ObjectProvider<ObservationRegistry> registry) {
			return new Prices(registry);
		}

		@Bean
		FinishedSpans finishedSpans() {
			return new FinishedSpans();
		}

	}

	/** Every span Brave finished, as Micrometer Tracing reads it back (with its links). */
	static final class FinishedSpans extends SpanHandler {

		final List<FinishedSpan> spans = new CopyOnWriteArrayList<>();

		@Override
		public boolean end(TraceContext context, MutableSpan span, Cause cause) {
			if (cause == Cause.FINISHED) {
				this.spans.add(BraveFinishedSpan.fromBrave(span));
			}
			return true;
		}

	}

	/** A local cache whose load waits for the test, and a remote cache whose method observes its work. */
	public static class Prices {

		final CountDownLatch release = new CountDownLatch(1);

		final AtomicInteger executions = new AtomicInteger();

		private final ObjectProvider<ObservationRegistry> registry;

		Prices(ObjectProvider<ObservationRegistry> registry) {
			this.registry = registry;
		}

		public void release() {
			this.release.countDown();
		}

		public int executions() {
			return this.executions.get();
		}

		@Cached(name = "local")
		public String local(String currency) throws InterruptedException {
			this.executions.incrementAndGet();
			this.release.await(SECONDS, TimeUnit.SECONDS);
			return "1.00";
		}

		@Cached(name = "remoteAsync")
		public CompletableFuture<String> remoteAsync(String currency) {
			// completed on another thread than the caller's
			return CompletableFuture.supplyAsync(() -> "3.00", CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS));
		}

		@Cached(name = "remote")
		public String remote(String currency) {
			return Observation.createNotStarted("prices.fetch", this.registry.getObject()).observe(() -> "2.00");
		}

	}

}
