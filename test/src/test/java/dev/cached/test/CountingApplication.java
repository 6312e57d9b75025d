package dev.cached.test;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The application under test: the starter's auto-configuration and one cached bean.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class CountingApplication {

	@Bean
	CountingService countingService() {
		return new CountingService();
	}

}
