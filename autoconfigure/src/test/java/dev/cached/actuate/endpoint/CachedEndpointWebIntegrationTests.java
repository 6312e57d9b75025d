package dev.cached.actuate.endpoint;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.Cached;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.caffeine.CaffeineCacheManager;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the {@code cached} endpoint and Spring Boot's {@code caches} endpoint over
 * HTTP, in an application on a real embedded server that also uses {@code @Cacheable}
 * with Spring Boot's own cache manager.
 */
class CachedEndpointWebIntegrationTests {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	private static ConfigurableApplicationContext context;

	private static String baseUrl;

	@BeforeAll
	static void start() {
		context = new SpringApplicationBuilder(WebApplication.class)
			.properties("server.port=0", "management.endpoints.web.exposure.include=cached,caches",
					"cached.caches.[RuleService.getAllRules].ttl=5m",
					"cached.caches.[RuleService.getAllRules].max-size=1", "cached.defaults.cache-null-values=true",
					"spring.main.banner-mode=off",
					// Spring Data Redis is on the test class path: keep Boot's cache manager on Caffeine
					"spring.cache.type=caffeine")
			.run();
		baseUrl = "http://localhost:" + ((WebServerApplicationContext) context).getWebServer().getPort();
	}

	@AfterAll
	static void stop() {
		if (context != null) {
			context.close();
		}
	}

	/**
	 * 64 concurrent calls on a cold key, the load held on a latch until the 63 others
	 * have joined, then {@code GET /actuator/cached} gives exactly the contract's layout
	 * and numbers, which agree with the meters.
	 */
	@Test
	void getCachedDescribesSettingsMethodsAndStatsAfterSixtyFourConcurrentCalls() throws Exception {
		RuleService rules = context.getBean(RuleService.class);
		CachedCache cache = context.getBean(CacheRegistry.class).getCache("RuleService.getAllRules");
		ExecutorService executor = Executors.newFixedThreadPool(64);
		try {
			List<Future<List<String>>> results = new ArrayList<>();
			for (int i = 0; i < 64; i++) {
				results.add(executor.submit(rules::getAllRules));
			}
			await().atMost(Duration.ofSeconds(10))
				.pollInterval(Duration.ofMillis(5))
				.until(() -> cache.getStatistics().coalesced() == 63);
			rules.release();
			for (Future<List<String>> result : results) {
				assertThat(result.get(10, TimeUnit.SECONDS)).containsExactly("no-cycles");
			}
		}
		finally {
			rules.release();
			executor.shutdownNow();
		}
		HttpResponse<String> response = get("/actuator/cached");
		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode caches = json.readTree(response.body()).get("caches");
		assertThat(caches.propertyNames()).contains("RuleService.getAllRules", "RuleService.getRule");
		ObjectNode actual = (ObjectNode) caches.get("RuleService.getAllRules");
		JsonNode meanLoadMillis = actual.get("stats").get("meanLoadMillis");
		assertThat(meanLoadMillis.isNumber()).isTrue();
		assertThat(meanLoadMillis.asDouble()).isPositive();
		((ObjectNode) actual.get("stats")).put("meanLoadMillis", 12.7);
		JsonNode expected = json.readTree("""
				{"methods": ["%s.getAllRules()"],
				 "settings": {"ttl": {"value": "5m", "source": "cache"},
				              "max-size": {"value": 1, "source": "cache"},
				              "wait-timeout": {"value": null, "source": "built-in"},
				              "cache-null-values": {"value": true, "source": "defaults"},
				              "refresh-after": {"value": null, "source": "built-in"},
				              "ttl-jitter": {"value": null, "source": "built-in"},
				              "early-refresh-beta": {"value": null, "source": "built-in"},
				              "remote": {"value": false, "source": "built-in"}},
				 "stats": {"hits": 63, "misses": 1, "hitRatio": 0.984, "coalesced": 63,
				           "loadSuccesses": 1, "loadFailures": 0, "meanLoadMillis": 12.7,
				           "inFlight": 0, "size": 1, "evictions": 0}}
				""".formatted(RuleService.class.getName()));
		assertThat(actual).isEqualTo(expected);
		MeterRegistry meters = context.getBean(MeterRegistry.class);
		assertThat(meters.get("cache.gets")
			.tags("cache", "RuleService.getAllRules", "result", "hit")
			.functionCounter()
			.count()).isEqualTo(63);
		assertThat(meters.get("cache.coalesced").tags("cache", "RuleService.getAllRules").functionCounter().count())
			.isEqualTo(63);
	}

	@Test
	void getOneCachedCacheDescribesIt() throws Exception {
		HttpResponse<String> response = get("/actuator/cached/RuleService.getRule");
		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode cache = json.readTree(response.body());
		assertThat(cache.get("methods").get(0).asString())
			.isEqualTo(RuleService.class.getName() + ".getRule(java.lang.String)");
		assertThat(cache.get("settings").get("ttl").get("value").isNull()).isTrue();
		assertThat(cache.get("settings").get("ttl").get("source").asString()).isEqualTo("built-in");
		assertThat(cache.get("settings").get("max-size").get("value").asLong()).isEqualTo(10000);
	}

	@Test
	void getUnknownCachedCacheIsNotFoundWithJsonBody() throws Exception {
		HttpResponse<String> response = get("/actuator/cached/nope");
		assertThat(response.statusCode()).isEqualTo(404);
		JsonNode body = json.readTree(response.body());
		assertThat(body.get("status").asInt()).isEqualTo(404);
		assertThat(body.get("error").asString()).isEqualTo("Not Found");
		assertThat(body.get("message").asString()).isEqualTo("No @Cached cache named 'nope'");
	}

	@Test
	void deleteCachedCacheClearsItSoTheNextCallRunsTheMethod() throws Exception {
		RuleService rules = context.getBean(RuleService.class);
		rules.getRule("a");
		rules.getRule("b");
		rules.getRule("a");
		int calls = rules.ruleCalls();
		HttpResponse<String> response = send(
				HttpRequest.newBuilder(URI.create(baseUrl + "/actuator/cached/RuleService.getRule")).DELETE().build());
		assertThat(response.statusCode()).isEqualTo(204);
		assertThat(context.getBean(CacheRegistry.class).getCache("RuleService.getRule").estimatedSize()).isZero();
		rules.getRule("a");
		assertThat(rules.ruleCalls()).isEqualTo(calls + 1);
	}

	@Test
	void deleteUnknownCachedCacheIsNotFoundWithJsonBody() throws Exception {
		HttpResponse<String> response = send(
				HttpRequest.newBuilder(URI.create(baseUrl + "/actuator/cached/nope")).DELETE().build());
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).contains("json"));
		JsonNode body = json.readTree(response.body());
		assertThat(body.get("message").asString()).isEqualTo("No @Cached cache named 'nope'");
		assertThat(body.get("caches")).isNotNull();
	}

	@Test
	void springBootCachesEndpointListsBothCacheManagersAndCacheableKeepsWorking() throws Exception {
		BookService books = context.getBean(BookService.class);
		books.title(1);
		books.title(1);
		assertThat(books.calls()).isEqualTo(1);
		assertThat(context.getBean(CacheManagerUser.class).cacheManager()).isInstanceOf(CaffeineCacheManager.class);
		HttpResponse<String> response = get("/actuator/caches");
		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode managers = json.readTree(response.body()).get("cacheManagers");
		assertThat(managers.propertyNames()).containsExactlyInAnyOrder("cacheManager", "cachedCacheManager");
		assertThat(managers.get("cacheManager").get("caches").propertyNames()).containsExactly("books");
		JsonNode cachedCaches = managers.get("cachedCacheManager").get("caches");
		assertThat(cachedCaches.propertyNames()).contains("RuleService.getAllRules", "RuleService.getRule");
		assertThat(cachedCaches.get("RuleService.getRule").get("target").asString())
			.isEqualTo(CachedCache.class.getName());
	}

	@Test
	void cachedEndpointIsNotThereUnlessExposed() throws Exception {
		try (ConfigurableApplicationContext unexposed = new SpringApplicationBuilder(WebApplication.class)
			.properties("server.port=0", "spring.main.banner-mode=off")
			.run()) {
			String url = "http://localhost:" + ((WebServerApplicationContext) unexposed).getWebServer().getPort();
			assertThat(send(HttpRequest.newBuilder(URI.create(url + "/actuator/health")).GET().build()).statusCode())
				.isEqualTo(200);
			assertThat(send(HttpRequest.newBuilder(URI.create(url + "/actuator/cached")).GET().build()).statusCode())
				.isEqualTo(404);
			assertThat(unexposed.getBeanNamesForType(CachedEndpoint.class)).isEmpty();
		}
	}

	private static HttpResponse<String> get(String path) throws Exception {
		return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET().build());
	}

	private static HttpResponse<String> send(HttpRequest request) throws Exception {
		return http.send(request, HttpResponse.BodyHandlers.ofString());
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@EnableCaching
	static class WebApplication {

		@Bean
		RuleService ruleService() {
			return new RuleService();
		}

		@Bean
		BookService bookService() {
			return new BookService();
		}

		@Bean
		CacheManagerUser cacheManagerUser(CacheManager cacheManager) {
			return new CacheManagerUser(cacheManager);
		}

	}

	record CacheManagerUser(CacheManager cacheManager) {
	}

	public static class RuleService {

		private final CountDownLatch release = new CountDownLatch(1);

		private final AtomicInteger ruleCalls = new AtomicInteger();

		public void release() {
			this.release.countDown();
		}

		public int ruleCalls() {
			return this.ruleCalls.get();
		}

		@Cached
		public List<String> getAllRules() throws InterruptedException {
			if (!this.release.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("never released");
			}
			return List.of("no-cycles");
		}

		@Cached
		public String getRule(String id) {
			this.ruleCalls.incrementAndGet();
			return "rule-" + id;
		}

	}

	public static class BookService {

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		@Cacheable("books")
		public String title(int id) {
			this.calls.incrementAndGet();
			return "book-" + id;
		}

	}

}
