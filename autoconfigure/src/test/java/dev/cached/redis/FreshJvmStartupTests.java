package dev.cached.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import io.lettuce.core.resource.ClientResources;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.RemoteStatistics;
import dev.cached.redis.RedisOutboxTests.Books;
import dev.cached.redis.RedisOutboxTests.Preload;
import dev.cached.redis.RedisOutboxTests.PreloadingApplication;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Ready when the application is", in fresh JVMs: the first call of an application that
 * starts in a JVM of its own (an {@link org.springframework.boot.ApplicationRunner}, as
 * the sample's preload) reads Redis. In a fresh JVM, Lettuce's and Netty's first start
 * alone takes from a few hundred milliseconds to seconds on a busy machine, longer than
 * {@code cached.redis.timeout}: the sample's preload read Redis on 2 of 3 fresh starts
 * when startup waited for the connection at most that long.
 */
class FreshJvmStartupTests {

	/**
	 * Two fresh JVMs: one as it comes, and one whose first start of the tier's connection
	 * takes three seconds more before it reaches Redis (a JVM slower to start Lettuce, as a busy
	 * machine makes it), which startup waits for too.
	 */
	@Test
	void theFirstCallOfEveryFreshJvmReadsRedis() throws Exception {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext first = new SpringApplicationBuilder(RedisOutboxTests.Application.class)
					.web(WebApplicationType.NONE)
					.run(arguments(redis.port()))) {
			assertThat(first.getBean(Books.class).book("planted")).isEqualTo("planted@1");
			assertThat(runFresh(redis.port(), "as-it-comes")).as("a fresh JVM")
				.isEqualTo("first=planted@1 subscribed=true hits=1 misses=0");
			assertThat(runFresh(redis.port(), "slow")).as("a fresh JVM slower to start Lettuce")
				.isEqualTo("first=planted@1 subscribed=true hits=1 misses=0");
		}
	}

	private static String runFresh(int port, String start) throws IOException, InterruptedException {
		Path java = Path.of(System.getProperty("java.home"), "bin", "java");
		Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
				FreshJvmStartupTests.class.getName(), Integer.toString(port), start)
			.redirectErrorStream(true)
			.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("the fresh JVM ended").isTrue();
		assertThat(process.exitValue()).as("the fresh JVM's exit status; it said:%n%s", output).isZero();
		return output.lines()
			.filter((line) -> line.startsWith("first="))
			.findFirst()
			.orElseThrow(() -> new AssertionError("the fresh JVM said nothing of its first call:\n" + output));
	}

	private static String[] arguments(int port) {
		return List.of("--spring.main.banner-mode=off", "--spring.jmx.enabled=false", "--logging.level.root=WARN",
				"--cached.redis.enabled=true", "--spring.data.redis.host=" + RedisServer.HOST,
				"--spring.data.redis.port=" + port, "--cached.caches.books.remote=true")
			.toArray(new String[0]);
	}

	/**
	 * The fresh JVM: its source is at version 2, so a load answers {@code planted@2} and a
	 * read of Redis {@code planted@1}; prints what the preload got and the cache's
	 * remote counters.
	 * @param args the Redis port
	 */
	public static void main(String[] args) {
		Books.version.set(2);
		Class<?> application = args[1].equals("slow") ? SlowStartApplication.class : PreloadingApplication.class;
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
			.web(WebApplicationType.NONE)
			.run(arguments(Integer.parseInt(args[0])))) {
			Preload preload = context.getBean(Preload.class);
			RemoteStatistics statistics = context.getBean(CacheRegistry.class).getCache("books").getRemoteStatistics();
			System.out.println("first=" + preload.first + " subscribed=" + preload.subscribed + " hits="
					+ statistics.hits() + " misses=" + statistics.misses());
		}
		System.exit(0);
	}

	/**
	 * {@link PreloadingApplication} whose connection factory takes three seconds longer the first
	 * time the tier's connect thread asks it for a connection, before anything reaches
	 * Redis: what a slow first start of Lettuce and Netty looks like to the tier (not a
	 * wait for another thread).
	 */
	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class SlowStartApplication {

		@Bean
		Books books() {
			return new Books();
		}

		@Bean
		Preload preload(Books books, RedisTier tier) {
			return new Preload(books, tier);
		}

		@Bean
		LettuceConnectionFactory redisConnectionFactory(ClientResources resources,
				@Value("${spring.data.redis.port}") int port) {
			LettuceClientConfiguration client = LettuceClientConfiguration.builder().clientResources(resources).build();
			return new LettuceConnectionFactory(new RedisStandaloneConfiguration(RedisServer.HOST, port), client) {

				private final AtomicBoolean slowed = new AtomicBoolean();

				@Override
				public RedisConnection getConnection() {
					boolean tiers = Thread.currentThread().getName().equals("cached-redis-connect");
					if (tiers && this.slowed.compareAndSet(false, true)) {
						try {
							Thread.sleep(3000);
						}
						catch (InterruptedException ex) {
							Thread.currentThread().interrupt();
						}
					}
					return super.getConnection();
				}

			};
		}

	}

}
