package dev.cached.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CacheStatistics;
import dev.cached.engine.CachedCache;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web application on a random port, called over real HTTP.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class RuleControllerTests {

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private JsonMapper jsonMapper;

	@Autowired
	private RuleFileLoader loader;

	@Autowired
	private CacheRegistry cacheRegistry;

	@Test
	void getRulesReturnsAll53RulesFromTheCache() throws Exception {
		long loads = this.loader.loads();

		HttpResponse<String> first = get("/rules");
		HttpResponse<String> second = get("/rules");

		assertThat(first.statusCode()).isEqualTo(200);
		List<?> rules = this.jsonMapper.readValue(first.body(), List.class);
		assertThat(rules).hasSize(53);
		assertThat(second.body()).isEqualTo(first.body());
		assertThat(this.loader.loads()).as("loads after startup's preload").isEqualTo(loads);
	}

	@Test
	void getRuleByIdReturnsThatRule() throws Exception {
		HttpResponse<String> response = get("/rules/R-017");

		assertThat(response.statusCode()).isEqualTo(200);
		Map<String, Object> rule = object(response.body());
		assertThat(rule.get("id")).isEqualTo("R-017");
		assertThat(rule).containsKeys("name", "priority", "conditions", "action");
	}

	@Test
	void getRuleAsyncReturnsThatRuleAndSharesTheCacheOfGetRule() throws Exception {
		CachedCache cache = this.cacheRegistry.getCache("RuleService.getRule");
		assertThat(cache).isNotNull();
		long misses = cache.getStatistics().misses();
		long hits = cache.getStatistics().hits();

		HttpResponse<String> first = get("/rules/R-023/async");
		HttpResponse<String> second = get("/rules/R-023/async");
		HttpResponse<String> sync = get("/rules/R-023");

		assertThat(first.statusCode()).isEqualTo(200);
		assertThat(object(first.body()).get("id")).isEqualTo("R-023");
		assertThat(second.body()).isEqualTo(first.body());
		assertThat(sync.body()).isEqualTo(first.body());
		assertThat(cache.getStatistics().misses()).as("one read of the file").isEqualTo(misses + 1);
		assertThat(cache.getStatistics().hits()).isEqualTo(hits + 2);
	}

	@Test
	void getUnknownRuleAsyncIsNotFoundAsJson() throws Exception {
		HttpResponse<String> response = get("/rules/unknown-async/async");

		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(object(response.body()).get("detail")).isEqualTo("No rule with id 'unknown-async'");
	}

	@Test
	void getUnknownRuleIsNotFoundAsJson() throws Exception {
		HttpResponse<String> response = get("/rules/unknown");

		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/problem+json"));
		Map<String, Object> problem = object(response.body());
		assertThat(problem.get("status")).isEqualTo(404);
		assertThat(problem.get("detail")).isEqualTo("No rule with id 'unknown'");
	}

	@Test
	void postReloadReadsTheFilesAgain() throws Exception {
		long loads = this.loader.loads();

		HttpResponse<String> reload = send(HttpRequest.newBuilder(uri("/rules/reload"))
			.POST(HttpRequest.BodyPublishers.noBody())
			.build());
		HttpResponse<String> rules = get("/rules");

		assertThat(reload.statusCode()).isEqualTo(200);
		assertThat(object(reload.body())).containsEntry("status", "reloaded")
			.containsEntry("rules", 53);
		assertThat(rules.statusCode()).isEqualTo(200);
		assertThat(this.loader.loads()).as("the reload's check is no load; one load to serve them")
			.isEqualTo(loads + 1);
	}

	@Test
	void actuatorHealthIsUp() throws Exception {
		HttpResponse<String> response = get("/actuator/health");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(object(response.body())).containsEntry("status", "UP");
	}

	@Test
	@SuppressWarnings("unchecked")
	void actuatorCachedListsEveryCacheWithItsSettingsAndTheirSources() throws Exception {
		HttpResponse<String> response = get("/actuator/cached");

		assertThat(response.statusCode()).isEqualTo(200);
		Map<String, Object> caches = (Map<String, Object>) object(response.body()).get("caches");
		assertThat(caches).containsOnlyKeys("RuleService.getAllRules", "RuleService.getRule");
		Map<String, Object> allRules = (Map<String, Object>) caches.get("RuleService.getAllRules");
		assertThat(allRules.get("methods")).isEqualTo(List.of("dev.cached.sample.RuleService.getAllRules()"));
		Map<String, Object> settings = (Map<String, Object>) allRules.get("settings");
		assertThat(settings.get("ttl")).isEqualTo(Map.of("value", "5m", "source", "cache"));
		assertThat(settings.get("refresh-after")).isEqualTo(Map.of("value", "4m", "source", "cache"));
		assertThat(settings.get("max-size")).isEqualTo(Map.of("value", 1, "source", "cache"));
		assertThat(((Map<String, Object>) settings.get("wait-timeout"))).containsEntry("value", null)
			.containsEntry("source", "built-in");
		assertThat(allRules.get("stats")).isInstanceOf(Map.class);
	}

	@Test
	@SuppressWarnings("unchecked")
	void actuatorCachesListsTheCachedCachesUnderTheirCacheManager() throws Exception {
		HttpResponse<String> response = get("/actuator/caches");

		assertThat(response.statusCode()).isEqualTo(200);
		Map<String, Object> managers = (Map<String, Object>) object(response.body()).get("cacheManagers");
		Map<String, Object> manager = (Map<String, Object>) managers.get("cachedCacheManager");
		assertThat(manager).isNotNull();
		assertThat((Map<String, Object>) manager.get("caches")).containsKeys("RuleService.getAllRules",
				"RuleService.getRule");
	}

	@Test
	void actuatorPrometheusShowsTheMetersOfTheCachedCachesUnderTheirPrometheusNames() throws Exception {
		get("/rules");
		CacheStatistics stats = this.cacheRegistry.getCache("RuleService.getAllRules").getStatistics();

		HttpResponse<String> response = get("/actuator/prometheus");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type"))
			.hasValueSatisfying((type) -> assertThat(type).startsWith("text/plain"));
		String body = response.body();
		String tags = "cache=\"RuleService.getAllRules\",cache_manager=\"cached\",name=\"RuleService.getAllRules\"";
		assertThat(sample(body, "cache_gets_total{" + tags + ",result=\"hit\"}")).isEqualTo(stats.hits());
		assertThat(sample(body, "cache_gets_total{" + tags + ",result=\"miss\"}")).isEqualTo(stats.misses());
		assertThat(sample(body, "cache_coalesced_total{" + tags + "}")).isEqualTo(stats.coalesced());
		assertThat(sample(body, "cache_load_total{" + tags + ",result=\"success\"}"))
			.isEqualTo(stats.loadSuccesses());
		assertThat(sample(body, "cached_load_duration_seconds_count{" + tags + "}")).isEqualTo(stats.loadSuccesses());
		assertThat(sample(body, "cache_inflight{" + tags + "}")).isZero();
		assertThat(body).contains("# TYPE cache_load_duration_seconds gauge", "cache_load_duration_seconds{" + tags + "} ",
				"# TYPE cached_load_duration_seconds summary", "cached_load_duration_seconds_sum{" + tags + "} ",
				"cached_load_duration_seconds_max{" + tags + "} ", "cache_size{" + tags + "} ",
				"cache_puts_total{" + tags + "} ", "cache_evictions_total{" + tags + "} ",
				"cache_refreshes_total{" + tags + ",result=\"success\"} ", "cache_gets_total{cache=\"RuleService.getRule\"");
	}

	/** The value of one sample of a Prometheus scrape, as a whole number. */
	private static long sample(String scrape, String series) {
		Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
		assertThat(matcher.find()).as("%s in:%n%s", series, scrape).isTrue();
		double value = Double.parseDouble(matcher.group(1));
		assertThat(value).as(series).isEqualTo(Math.rint(value));
		return (long) value;
	}

	@SuppressWarnings("unchecked")
	private Map<String, Object> object(String json) {
		return this.jsonMapper.readValue(json, Map.class);
	}

	private HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return send(HttpRequest.newBuilder(uri(path)).GET().build());
	}

	private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
		return this.http.send(request, HttpResponse.BodyHandlers.ofString());
	}

	private URI uri(String path) {
		return URI.create("http://localhost:" + this.port + path);
	}

}
