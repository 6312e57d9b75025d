package dev.cached.aop;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @CacheInvalidate(condition = ...)} and the {@code #result} of an
 * {@code Optional} method (the value inside it, as in Spring's caching, for
 * {@code unless}, {@code @CachePut} and {@code @CacheInvalidate}), through real proxies.
 */
class InvalidatingOperationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class))
		.withBean(StockService.class);

	@Test
	void conditionFalseDoesNotInvalidate() {
		run((context, stock) -> {
			stock.level(1);
			stock.update(1, false);
			assertThat(cache(context).peek(1L)).isEqualTo("level 1 #1");
			stock.update(1, true);
			assertThat(cache(context).peek(1L)).isNull();
		});
	}

	@Test
	void conditionAfterTheInvocationSeesTheResult() {
		run((context, stock) -> {
			stock.level(1);
			stock.level(2);
			assertThat(stock.restock(1, 0)).isZero();
			assertThat(cache(context).peek(1L)).as("#result == 0: not invalidated").isNotNull();
			assertThat(stock.restock(2, 5)).isEqualTo(5);
			assertThat(cache(context).peek(2L)).isNull();
		});
	}

	@Test
	void beforeInvocationConditionIsEvaluatedEvenWhenTheMethodThrows() {
		run((context, stock) -> {
			stock.level(1);
			stock.level(2);
			try {
				stock.failingUpdate(1);
			}
			catch (IllegalStateException expected) {
				// the invalidation happened before the method ran
			}
			try {
				stock.failingUpdate(2);
			}
			catch (IllegalStateException expected) {
				// condition false for an even id
			}
			assertThat(cache(context).peek(1L)).isNull();
			assertThat(cache(context).peek(2L)).isNotNull();
		});
	}

	@Test
	void resultOfAnOptionalMethodIsTheValueInsideForAnInvalidateKey() {
		run((context, stock) -> {
			stock.level(7);
			assertThat(stock.findAndEvict("7")).contains(7L);
			assertThat(cache(context).peek(7L)).isNull();
			stock.level(7);
			assertThat(stock.findAndEvict("none")).isEmpty();
			assertThat(cache(context).peek(7L)).isNotNull();
		});
	}

	@Test
	void resultOfAnOptionalMethodIsTheValueInsideForUnless() {
		run((context, stock) -> {
			assertThat(stock.name(1)).contains("short");
			assertThat(stock.name(2)).contains("a much longer name");
			assertThat(stock.name(3)).isEmpty();
			CachedCache names = context.getBean(CacheRegistry.class).getCache("StockService.name");
			assertThat(names.peek(1L)).isEqualTo(Optional.of("short"));
			assertThat(names.peek(2L)).as("unless #result.length() > 10").isNull();
			assertThat(names.peek(3L)).as("unless #result == null, for an empty Optional").isNull();
		});
	}

	@Test
	void resultOfAnOptionalMethodIsTheValueInsideForCachePut() {
		run((context, stock) -> {
			CachedCache names = context.getBean(CacheRegistry.class).getCache("StockService.name");
			assertThat(stock.rename(1, "short")).contains("short");
			assertThat(stock.rename(2, "a much longer name")).contains("a much longer name");
			assertThat(names.peek(1L)).isEqualTo(Optional.of("short"));
			assertThat(names.peek(2L)).as("unless #result.length() > 10").isNull();
		});
	}

	private void run(ContextCallback callback) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			callback.accept(context, context.getBean(StockService.class));
		});
	}

	private static CachedCache cache(AssertableApplicationContext context) {
		CachedCache cache = context.getBean(CacheRegistry.class).getCache("stock");
		assertThat(cache).isNotNull();
		return cache;
	}

	interface ContextCallback {

		void accept(AssertableApplicationContext context, StockService stock);

	}

	static class StockService {

		private final AtomicInteger loads = new AtomicInteger();

		@Cached(name = "stock")
		public String level(long id) {
			return "level " + id + " #" + this.loads.incrementAndGet();
		}

		@CacheInvalidate(name = "stock", key = "#id", condition = "#changed")
		public void update(long id, boolean changed) {
		}

		@CacheInvalidate(name = "stock", key = "#id", condition = "#result > 0")
		public int restock(long id, int added) {
			return added;
		}

		@CacheInvalidate(name = "stock", key = "#id", condition = "#id % 2 == 1", beforeInvocation = true)
		public void failingUpdate(long id) {
			throw new IllegalStateException("failed");
		}

		@CacheInvalidate(name = "stock", key = "#result", condition = "#result != null")
		public Optional<Long> findAndEvict(String id) {
			return "none".equals(id) ? Optional.empty() : Optional.of(Long.valueOf(id));
		}

		@CachePut(name = "StockService.name", key = "#id", unless = "#result.length() > 10")
		public Optional<String> rename(long id, String name) {
			return Optional.of(name);
		}

		@Cached(unless = "#result == null or #result.length() > 10")
		public Optional<String> name(long id) {
			return switch ((int) id) {
				case 1 -> Optional.of("short");
				case 2 -> Optional.of("a much longer name");
				default -> Optional.empty();
			};
		}

	}

}
