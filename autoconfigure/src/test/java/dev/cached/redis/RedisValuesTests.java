package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values in Redis are JSON bound to the method's declared type: a payload planted in
 * Redis never makes the tier instantiate a class it names, and a payload that is not JSON
 * of the declared type (wrong shape, trailing tokens, garbage bytes) is a miss counted in
 * {@code cache.remote.errors}, overwritten by the load it causes.
 */
class RedisValuesTests {

	private static final int A = 0;

	private static final int B = 1;

	/** The name of {@link Canary}, as a planted payload names it. */
	private static final String CANARY = "dev.cached.redis.RedisValuesTests$Canary";

	private static final JsonMapper json = JsonMapper.builder().build();

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, "--cached.defaults.remote=true",
			"--cached.defaults.ttl=10m");

	private static final RedisServer redis = instances.redis();

	/**
	 * A payload that names a class, planted for a method that returns a record: neither
	 * that class nor any other is instantiated; the payload is not JSON of the record, so
	 * it is a miss, counted as an error, and the load overwrites it.
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "{\"@class\":\"java.lang.ProcessBuilder\",\"command\":[\"touch\",\"%s\"]}",
			"[\"java.lang.ProcessBuilder\",{\"command\":[\"touch\",\"%s\"]}]",
			"{\"@class\":\"" + CANARY + "\",\"name\":\"%s\"}",
			"[\"" + CANARY + "\",{\"name\":\"%s\"}]",
			"{\"id\":\"planted\",\"quantity\":1,\"@class\":\"" + CANARY + "\",\"name\":\"%s\"}",
			"\"" + CANARY + "\"" })
	void aPayloadNamingAClassInstantiatesNothingAndIsOverwritten(String payload, @TempDir Path directory)
			throws Exception {
		Path touched = directory.resolve("touched");
		String key = "class-" + Integer.toHexString(payload.hashCode());
		String entry = Instances.entry("items", key);
		redis.set(entry, utf8(payload.formatted(touched)));
		double errors = instances.count(A, "cache.remote.errors", "items");
		Item item = inventory(A).item(key);
		assertThat(item).isEqualTo(new Item(key, key.length()));
		assertThat(inventory(A).executions("items", key)).isEqualTo(1);
		assertThat(instances.count(A, "cache.remote.errors", "items")).isEqualTo(errors + 1);
		assertThat(Canary.created).hasValue(0);
		assertThat(touched).doesNotExist();
		assertOverwritten(entry, item, Item.class);
		// the others read the overwritten value
		assertThat(inventory(B).item(key)).isEqualTo(item);
		assertThat(inventory(B).executions("items", key)).isZero();
	}

	/**
	 * For a method whose declared type is {@code Object}, or a record with an
	 * {@code Object} component, a payload that names a class is bound to plain JSON types
	 * (maps, lists, strings): never to the class it names.
	 */
	@Test
	void aPayloadNamingAClassIsBoundToPlainTypesWhereTheDeclaredTypeIsObject() throws Exception {
		redis.set(Instances.entry("anything", "map"), utf8("{\"@class\":\"" + CANARY + "\",\"name\":\"x\"}"));
		redis.set(Instances.entry("anything", "array"), utf8("[\"" + CANARY + "\",{\"name\":\"x\"}]"));
		redis.set(Instances.entry("holders", "held"),
				utf8("{\"id\":\"held\",\"payload\":{\"@class\":\"" + CANARY + "\",\"name\":\"x\"}}"));
		assertThat(inventory(A).anything("map")).isEqualTo(Map.of("@class", CANARY, "name", "x"));
		assertThat(inventory(A).anything("array")).isEqualTo(List.of(CANARY, Map.of("name", "x")));
		Holder holder = inventory(A).holder("held");
		assertThat(holder.payload()).isEqualTo(Map.of("@class", CANARY, "name", "x"));
		assertThat(Canary.created).hasValue(0);
		assertThat(inventory(A).executions("anything", "map")).isZero();
		assertThat(inventory(A).executions("anything", "array")).isZero();
		assertThat(inventory(A).executions("holders", "held")).isZero();
	}

	/**
	 * Valid JSON of the wrong shape, or trailing tokens after a valid value: a miss,
	 * counted as an error, and the load that follows overwrites the entry.
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "{\"nope\":1}", "[1,2,3]", "42", "{\"id\":\"x\",\"quantity\":\"many\"}",
			"{\"id\":\"x\",\"quantity\":1} {\"id\":\"y\",\"quantity\":2}",
			"{\"id\":\"x\",\"quantity\":1,\"extra\":true}" })
	void jsonOfTheWrongShapeIsAMissCountedAsAnErrorAndOverwritten(String payload) throws Exception {
		String key = "shape-" + Integer.toHexString(payload.hashCode());
		assertForeignPayloadIsOverwritten(key, utf8(payload));
	}

	@Test
	void garbageBytesAreAMissCountedAsAnErrorAndOverwritten() throws Exception {
		byte[] garbage = { (byte) 0xff, (byte) 0xfe, 0, 1, '{', '"', (byte) 0xc3, 0x28 };
		assertForeignPayloadIsOverwritten("garbage", garbage);
	}

	@Test
	void aValueWrittenByOneInstanceIsJsonOfTheDeclaredType() throws Exception {
		Item item = inventory(A).item("json");
		assertThat(json.readTree(redis.get(Instances.entry("items", "json"))))
			.isEqualTo(json.readTree("{\"id\":\"json\",\"quantity\":4}"));
		assertThat(inventory(B).item("json")).isEqualTo(item);
		assertThat(inventory(B).executions("items", "json")).isZero();
	}

	private void assertForeignPayloadIsOverwritten(String key, byte[] payload) throws Exception {
		String entry = Instances.entry("items", key);
		redis.set(entry, payload);
		double errors = instances.count(A, "cache.remote.errors", "items");
		double remoteHits = instances.count(A, "cache.remote.gets", "items", "result", "hit");
		Item item = inventory(A).item(key);
		assertThat(item).isEqualTo(new Item(key, key.length()));
		assertThat(inventory(A).executions("items", key)).isEqualTo(1);
		assertThat(instances.count(A, "cache.remote.errors", "items")).isEqualTo(errors + 1);
		assertThat(instances.count(A, "cache.remote.gets", "items", "result", "hit")).isEqualTo(remoteHits);
		assertOverwritten(entry, item, Item.class);
		assertThat(inventory(B).item(key)).isEqualTo(item);
		assertThat(inventory(B).executions("items", key)).isZero();
	}

	private static <T> void assertOverwritten(String entry, T value, Class<T> type) {
		byte[] stored = redis.get(entry);
		assertThat(stored).as("entry %s", entry).isNotNull();
		assertThat(json.readValue(stored, type)).isEqualTo(value);
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static Inventory inventory(int instance) {
		return instances.bean(instance, Inventory.class);
	}


	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Inventory inventory() {
			return new Inventory();
		}

	}

	/**
	 * An item.
	 *
	 * @param id its id
	 * @param quantity how many
	 */
	public record Item(String id, int quantity) {
	}

	/**
	 * A record with a component of any type.
	 *
	 * @param id its id
	 * @param payload anything
	 */
	public record Holder(String id, Object payload) {
	}

	/** A class a planted payload names: it counts its instances. */
	public static class Canary {

		static final AtomicInteger created = new AtomicInteger();

		public String name;

		public Canary() {
			created.incrementAndGet();
		}

		public void setCommand(List<String> command) {
			created.incrementAndGet();
		}

	}

	/** The cached methods, counting their executions per key. */
	public static class Inventory {

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		@Cached(name = "items")
		public Item item(String id) {
			executed("items", id);
			return new Item(id, id.length());
		}

		@Cached(name = "anything")
		public Object anything(String id) {
			executed("anything", id);
			return List.of(id);
		}

		@Cached(name = "holders")
		public Holder holder(String id) {
			executed("holders", id);
			return new Holder(id, Map.of("id", id));
		}

		public int executions(String cache, String key) {
			AtomicInteger count = this.executions.get(cache + ":" + key);
			return (count != null) ? count.get() : 0;
		}

		private void executed(String cache, String key) {
			this.executions.computeIfAbsent(cache + ":" + key, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
