package dev.cached.autoconfigure;

import java.io.InputStream;
import java.net.URL;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.Ordered;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the generated configuration metadata of {@link CachedProperties}, as IDEs
 * read it from the classpath.
 */
class CachedPropertiesMetadataTests {

	@Test
	void everyPropertyOfTheContractHasDescriptionAndDefaultsWhereThereAreAny() throws Exception {
		Map<String, JsonNode> properties = cachedProperties();
		assertThat(properties).containsOnlyKeys("cached.enabled", "cached.transaction-aware", "cached.order",
				"cached.defaults.ttl", "cached.defaults.max-size", "cached.defaults.wait-timeout",
				"cached.defaults.cache-null-values", "cached.defaults.refresh-after", "cached.defaults.ttl-jitter",
				"cached.defaults.early-refresh-beta", "cached.defaults.remote", "cached.caches", "cached.redis.enabled",
				"cached.redis.key-prefix", "cached.redis.timeout", "cached.redis.lease-time", "cached.redis.retry-after",
				"cached.redis.clear-on-reconnect", "cached.redis.max-staleness", "cached.redis.max-value-size",
				"cached.redis.max-pending");
		assertThat(properties.values())
			.allSatisfy((property) -> assertThat(property.path("description").asString()).isNotBlank());
		assertThat(properties.get("cached.enabled").get("defaultValue").asBoolean()).isTrue();
		assertThat(properties.get("cached.transaction-aware").get("defaultValue").asBoolean()).isTrue();
		assertThat(properties.get("cached.order").get("defaultValue").asInt()).isEqualTo(Ordered.LOWEST_PRECEDENCE - 1);
		assertThat(properties.get("cached.defaults.max-size").get("defaultValue").asLong()).isEqualTo(10000);
		assertThat(properties.get("cached.defaults.cache-null-values").get("defaultValue").asBoolean()).isTrue();
		assertThat(properties.get("cached.defaults.ttl").has("defaultValue")).isFalse();
		assertThat(properties.get("cached.defaults.wait-timeout").has("defaultValue")).isFalse();
		assertThat(properties.get("cached.defaults.ttl").get("type").asString()).isEqualTo("java.time.Duration");
		assertThat(properties.get("cached.defaults.refresh-after").get("type").asString())
			.isEqualTo("java.time.Duration");
		assertThat(properties.get("cached.defaults.ttl-jitter").get("type").asString()).isEqualTo("java.lang.Double");
		assertThat(properties.get("cached.defaults.early-refresh-beta").get("type").asString())
			.isEqualTo("java.lang.Double");
		assertThat(properties.get("cached.defaults.refresh-after").has("defaultValue")).isFalse();
		assertThat(properties.get("cached.defaults.remote").get("type").asString()).isEqualTo("java.lang.Boolean");
		assertThat(properties.get("cached.redis.enabled").get("defaultValue").asBoolean()).isFalse();
		assertThat(properties.get("cached.redis.key-prefix").get("defaultValue").asString()).isEqualTo("cached:");
		assertThat(properties.get("cached.redis.timeout").get("defaultValue").asString()).isEqualTo("250ms");
		assertThat(properties.get("cached.redis.lease-time").get("defaultValue").asString()).isEqualTo("10s");
		assertThat(properties.get("cached.redis.retry-after").get("defaultValue").asString()).isEqualTo("5s");
		assertThat(properties.get("cached.redis.clear-on-reconnect").get("defaultValue").asBoolean()).isTrue();
		assertThat(properties.get("cached.redis.max-staleness").get("defaultValue").asString()).isEqualTo("5s");
		assertThat(properties.get("cached.redis.max-value-size").get("defaultValue").asString()).isEqualTo("1MB");
		assertThat(properties.get("cached.redis.max-pending").get("defaultValue").asInt()).isEqualTo(10000);
		assertThat(properties.get("cached.caches").get("type").asString())
			.isEqualTo("java.util.Map<java.lang.String,dev.cached.autoconfigure.CachedProperties$Settings>");
	}

	private static Map<String, JsonNode> cachedProperties() throws Exception {
		JsonMapper json = JsonMapper.builder().build();
		Map<String, JsonNode> properties = new LinkedHashMap<>();
		for (URL url : Collections.list(
				CachedPropertiesMetadataTests.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
			try (InputStream in = url.openStream()) {
				for (JsonNode property : json.readTree(in).path("properties")) {
					String name = property.get("name").asString();
					if (name.startsWith("cached.")) {
						assertThat(properties.put(name, property)).as("duplicate metadata for %s", name).isNull();
					}
				}
			}
		}
		return properties;
	}

}
