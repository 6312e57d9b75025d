package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.lettuce.core.resource.Delay;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.cached.Cached;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import dev.cached.testing.redis.RedisServer;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first load after an outage: stored locally and written to Redis like any other,
 * although the local stores are cleared when the outage ends.
 */
class RedisRecoveryTests {

	@Test
	void loadWhoseLookUpEndsAnOutageIsStoredLocallyAndInRedis() {
		try (RedisServer redis = RedisServer.start();
				ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
					.web(WebApplicationType.NONE)
					.run("--cached.redis.enabled=true", "--spring.data.redis.host=" + redis.host(),
							"--spring.data.redis.port=" + redis.port(), "--cached.redis.timeout=2s",
							"--cached.redis.retry-after=200ms", "--cached.caches.[Prices.price].ttl=1m",
							"--cached.caches.[Prices.price].remote=true")) {
			Prices prices = context.getBean(Prices.class);
			CachedCache cache = context.getBean(CacheRegistry.class).getCache("Prices.price");
			// the first connection may take longer than a call may wait: until a value reaches Redis
			AtomicInteger warmUps = new AtomicInteger();
			await().atMost(Duration.ofSeconds(30)).until(() -> {
				prices.price("warm-up-" + warmUps.incrementAndGet());
				return cache.getRemoteStatistics().writes() > 0;
			});

			RedisTier tier = context.getBean(RedisTier.class);
			await().atMost(Duration.ofSeconds(30)).until(tier::isSubscribed);

			redis.kill();
			// the outage: answered locally, counted
			assertThat(prices.price("during")).isEqualTo("price of during");
			assertThat(cache.getRemoteStatistics().errors()).isPositive();
			redis.restart();
			// the subscription is made again first: that invalidates every cache, loads running then
			// included, which must not be the load whose value this test follows
			await().atMost(Duration.ofSeconds(30)).until(() -> tier.status().get("last-gap-repaired") != null);

			// the outage ends once Redis answers the tier's prober again (calls meanwhile are local)
			await().atMost(Duration.ofSeconds(10)).until(() -> {
				prices.price("after-" + prices.calls());
				return context.getBean(RedisTier.class).isUp();
			});
			// the first load after the outage: stored locally and written to Redis like any other,
			// although the local stores were cleared when it ended
			String key = "after-recovery";
			int calls = prices.calls();
			assertThat(prices.price(key)).isEqualTo("price of " + key);
			assertThat(prices.calls()).as("the load ran").isEqualTo(calls + 1);
			assertThat(prices.price(key)).isEqualTo("price of " + key);
			assertThat(prices.calls()).as("the value of the first load after the outage was stored locally")
				.isEqualTo(calls + 1);
			byte[] stored = redis.get(Instances.entry(redis, "Prices.price", key));
			assertThat(stored).as("the value of the first load after the outage was written to Redis").isNotNull();
			assertThat(new String(stored, StandardCharsets.UTF_8)).isEqualTo("\"price of " + key + "\"");
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class App {

		@Bean
		Prices prices() {
			return new Prices();
		}

		/** Lettuce tries to reconnect at least every second (its default waits up to 30 s). */
		@Bean
		ClientResourcesBuilderCustomizer lettuceReconnectDelay() {
			return (resources) -> resources
				.reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS));
		}

	}

	static class Prices {

		private final AtomicInteger calls = new AtomicInteger();

		public int calls() {
			return this.calls.get();
		}

		@Cached(key = "#id")
		public String price(String id) {
			this.calls.incrementAndGet();
			return "price of " + id;
		}

	}

}
