package dev.cached.sample;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where the rule files are.
 *
 * @param location the folder of the {@code *.json} rule files, as a Spring resource
 * location ({@code classpath:rules/} or {@code file:/etc/rules/})
 * @param preload whether to load the rules (and so check every file) at startup
 */
@ConfigurationProperties("rules")
public record RulesProperties(@DefaultValue("classpath:rules/") String location,
		@DefaultValue("true") boolean preload) {

	public RulesProperties {
		location = location.endsWith("/") ? location : location + "/";
	}

}
