package dev.cached.redis;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.redis.RedisFaultTests.App;
import dev.cached.redis.RedisFaultTests.Book;
import dev.cached.redis.RedisFaultTests.Books;
import dev.cached.testing.redis.RedisServer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the actuator shows of the Redis tier through an outage that the starter survives:
 * {@code /actuator/health} stays UP (the starter adds no indicator, and keeps Boot's
 * {@code redis} one out unless the application asks for it), and {@code /actuator/cached}
 * shows each cache's {@code remote} setting with its source and the tier's status, UP then
 * DOWN then UP again.
 */
class RedisActuatorTests {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	@Test
	void healthStaysUpAndTheEndpointShowsTheOutageWithBootsRedisIndicatorSwitchedOff() throws Exception {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--management.health.redis.enabled=false")) {
			Books books = RedisFaultTests.warmUp(context, redis);
			assertThat(health(context)).isEqualTo(200);
			JsonNode up = cached(context);
			assertThat(up.at("/caches/books/settings/remote")).isEqualTo(json.readTree("""
					{"value": true, "source": "cache"}"""));
			assertThat(up.at("/caches/shelf/settings/remote")).isEqualTo(json.readTree("""
					{"value": false, "source": "built-in"}"""));
			assertThat(up.at("/caches/books/remote").isObject()).isTrue();
			assertThat(up.at("/caches/shelf/remote").isMissingNode()).isTrue();
			assertThat(up.at("/redis/status").asString()).isEqualTo("UP");
			assertThat(up.at("/redis/subscribed").asBoolean()).isTrue();
			assertThat(up.at("/redis/key-prefix").asString()).isEqualTo("cached:");
			assertThat(up.at("/redis/timeout").asString()).isEqualTo("250ms");
			assertThat(up.at("/redis/since").isMissingNode()).isTrue();

			redis.kill();
			assertThat(books.book("during")).isEqualTo(new Book("during", 1));
			JsonNode down = cached(context);
			assertThat(down.at("/redis/status").asString()).isEqualTo("DOWN");
			assertThat(down.at("/redis/since").isString()).isTrue();
			assertThat(down.at("/redis/error").asString()).isNotBlank();
			assertThat(down.at("/caches/books/remote/errors").asLong()).isPositive();
			assertThat(health(context)).isEqualTo(200);
			assertThat(context.getBean(CachedEndpoint.class).caches().redis()).containsEntry("status", "DOWN");

			redis.restart();
			RedisFaultTests.awaitWrittenToRedis(books, redis, "after-");
			assertThat(cached(context).at("/redis/status").asString()).isEqualTo("UP");
			assertThat(health(context)).isEqualTo(200);
		}
	}

	@Test
	void healthStaysUpWhenTheApplicationDoesNotSayAnything() throws Exception {
		try (RedisServer redis = RedisServer.start(); ConfigurableApplicationContext context = run(redis)) {
			Books books = RedisFaultTests.warmUp(context, redis);
			assertThat(healthBody(context).at("/components/redis").isMissingNode()).isTrue();
			redis.kill();
			assertThat(books.book("during")).isEqualTo(new Book("during", 1));
			assertThat(cached(context).at("/redis/status").asString()).isEqualTo("DOWN");
			assertThat(health(context)).isEqualTo(200);
			assertThat(healthBody(context).at("/status").asString()).isEqualTo("UP");
		}
	}

	/**
	 * An application that keeps Boot's own {@code redis} indicator gets what it asked for:
	 * that indicator reports Redis itself, so the application is DOWN while Redis is, even
	 * though every {@code @Cached} call is still answered.
	 */
	@Test
	void bootsRedisIndicatorKeptByTheApplicationReportsRedisItself() throws Exception {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = run(redis, "--management.health.redis.enabled=true",
						"--spring.data.redis.timeout=1s")) {
			Books books = RedisFaultTests.warmUp(context, redis);
			assertThat(health(context)).isEqualTo(200);
			assertThat(healthBody(context).at("/components/redis/status").asString()).isEqualTo("UP");
			redis.kill();
			assertThat(books.book("during")).isEqualTo(new Book("during", 1));
			await().atMost(RedisFaultTests.RECOVERY).until(() -> health(context) == 503);
			assertThat(healthBody(context).at("/components/redis/status").asString()).isEqualTo("DOWN");
		}
	}

	private static ConfigurableApplicationContext run(RedisServer redis, String... args) {
		List<String> all = new ArrayList<>(List.of("--spring.main.banner-mode=off", "--server.port=0",
				"--management.endpoints.web.exposure.include=health,cached",
				"--management.endpoint.health.show-components=always", "--cached.redis.enabled=true",
				"--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port(),
				"--cached.caches.books.remote=true", "--cached.redis.retry-after=200ms"));
		all.addAll(List.of(args));
		return new SpringApplicationBuilder(App.class).web(WebApplicationType.SERVLET)
			.run(all.toArray(new String[0]));
	}

	private static int health(ConfigurableApplicationContext context) throws IOException, InterruptedException {
		return get(context, "/actuator/health").statusCode();
	}

	private static JsonNode healthBody(ConfigurableApplicationContext context)
			throws IOException, InterruptedException {
		return json.readTree(get(context, "/actuator/health").body());
	}

	private static JsonNode cached(ConfigurableApplicationContext context) throws IOException, InterruptedException {
		HttpResponse<String> response = get(context, "/actuator/cached");
		assertThat(response.statusCode()).isEqualTo(200);
		return json.readTree(response.body());
	}

	private static HttpResponse<String> get(ConfigurableApplicationContext context, String path)
			throws IOException, InterruptedException {
		int port = ((WebServerApplicationContext) context).getWebServer().getPort();
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.timeout(Duration.ofSeconds(30))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

}
