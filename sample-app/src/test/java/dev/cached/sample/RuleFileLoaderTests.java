package dev.cached.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Rule files read from a folder ({@code rules.location}): a broken file fails startup,
 * and a failed reload names the file and leaves the cached rules in service.
 */
class RuleFileLoaderTests {

	private static final String BROKEN = "{\n  \"id\": \"R-900\",\n  \"name\": \"Broken\",\n  \"priority\": ,\n}\n";

	private final HttpClient http = HttpClient.newHttpClient();

	@TempDir
	Path rules;

	@Test
	void brokenRuleFileFailsStartupNamingTheFileAndTheParseError() throws IOException {
		copyRules("R-001", "R-002");
		Files.writeString(this.rules.resolve("R-900.json"), BROKEN);

		assertThatException().isThrownBy(() -> start(WebApplicationType.NONE).close())
			.satisfies((ex) -> assertThat(ruleFileFailure(ex)).hasMessage("Rule file 'R-900.json' in file:"
					+ this.rules + "/ is not a valid rule: Unexpected character (',' (code 44)): expected a value "
					+ "(line 4, column 15)"));
	}

	@Test
	void ruleFileWithoutConditionsFailsStartupNamingTheFile() throws IOException {
		Files.writeString(this.rules.resolve("R-901.json"),
				"{\"id\": \"R-901\", \"name\": \"Empty\", \"priority\": 1, \"enabled\": true, \"action\": {\"type\": \"SURCHARGE\"}}");

		assertThatException().isThrownBy(() -> start(WebApplicationType.NONE).close())
			.satisfies((ex) -> assertThat(ruleFileFailure(ex))
				.hasMessage("Rule file 'R-901.json' is not a valid rule: it has no conditions"));
	}

	@Test
	void failedReloadNamesTheFileAndKeepsTheCachedRulesInService() throws Exception {
		copyRules("R-001", "R-002", "R-003");
		try (ConfigurableApplicationContext context = start(WebApplicationType.SERVLET)) {
			JsonMapper json = context.getBean(JsonMapper.class);
			RuleFileLoader loader = context.getBean(RuleFileLoader.class);
			String port = context.getEnvironment().getProperty("local.server.port");
			assertThat(json.readValue(send(port, "GET", "/rules").body(), List.class)).hasSize(3);

			Files.writeString(this.rules.resolve("R-900.json"), BROKEN);
			HttpResponse<String> reload = send(port, "POST", "/rules/reload");
			long loads = loader.loads();
			HttpResponse<String> after = send(port, "GET", "/rules");

			assertThat(reload.statusCode()).isEqualTo(500);
			assertThat((String) json.readValue(reload.body(), Map.class).get("detail"))
				.startsWith("Rule file 'R-900.json' in file:" + this.rules + "/ is not a valid rule: ");
			assertThat(after.statusCode()).isEqualTo(200);
			assertThat(json.readValue(after.body(), List.class)).hasSize(3);
			assertThat(loader.loads()).as("served from the cache").isEqualTo(loads);

			Files.delete(this.rules.resolve("R-900.json"));
			copyRules("R-004");
			assertThat(send(port, "POST", "/rules/reload").statusCode()).isEqualTo(200);
			assertThat(json.readValue(send(port, "GET", "/rules").body(), List.class)).hasSize(4);
		}
	}

	private static @Nullable RuleFileException ruleFileFailure(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof RuleFileException failure) {
				return failure;
			}
		}
		return null;
	}

	private ConfigurableApplicationContext start(WebApplicationType type) {
		return new SpringApplicationBuilder(SampleApplication.class).web(type)
			.run("--rules.location=file:" + this.rules + "/", "--server.port=0");
	}

	private HttpResponse<String> send(String port, String method, String path)
			throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.build();
		return this.http.send(request, HttpResponse.BodyHandlers.ofString());
	}

	private void copyRules(String... ids) throws IOException {
		for (String id : ids) {
			try (InputStream in = getClass().getResourceAsStream("/rules/" + id + ".json")) {
				Files.copy(in, this.rules.resolve(id + ".json"));
			}
		}
	}

}
