package dev.cached.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

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
		assertThat(this.loader.loads()).as("one load to check the files, one to serve them").isEqualTo(loads + 2);
	}

	@Test
	void actuatorHealthIsUp() throws Exception {
		HttpResponse<String> response = get("/actuator/health");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(object(response.body())).containsEntry("status", "UP");
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
