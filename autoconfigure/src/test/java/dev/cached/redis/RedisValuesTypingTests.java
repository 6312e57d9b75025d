package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.DefaultTyping;
import tools.jackson.databind.jsontype.BasicPolymorphicTypeValidator;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No type from a payload, whatever the application's {@code JsonMapper}: an application
 * whose mapper activates default typing for every non-final type (what lets a payload name
 * the class of an {@code Object}), and whose classes carry
 * {@code @JsonTypeInfo(use = CLASS)}, still never has a class that a payload planted in
 * Redis names instantiated. Such a payload is a miss counted in {@code cache.remote.errors}
 * (or, where the declared type is {@code Object}, plain JSON types), and the tier's own
 * values still travel between the instances.
 */
class RedisValuesTypingTests {

	private static final int A = 0;

	private static final int B = 1;

	/** The name of {@link Gadget}, as a planted payload names it. */
	private static final String GADGET = "dev.cached.redis.RedisValuesTypingTests$Gadget";

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, "--cached.defaults.remote=true",
			"--cached.defaults.ttl=10m");

	private static final RedisServer redis = instances.redis();

	/**
	 * Payloads in the shapes default typing reads (a wrapper array, a class property) and
	 * a class id where the application's class asks for one: the gadget is never made, the
	 * call loads, and the read counts as an error.
	 */
	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "items:[\"" + GADGET + "\",{\"name\":\"x\"}]",
			"items:{\"@class\":\"" + GADGET + "\",\"name\":\"x\"}",
			"items:[\"dev.cached.redis.RedisValuesTypingTests$Item\",{\"id\":\"k\",\"quantity\":1}]",
			"parcels:{\"id\":\"k\",\"content\":{\"@class\":\"" + GADGET + "\",\"name\":\"x\"}}",
			"parcels:{\"id\":\"k\",\"content\":[\"" + GADGET + "\",{\"name\":\"x\"}]}" })
	void aPlantedPayloadNamingAClassIsAMissCountedAsAnErrorAndNothingIsInstantiated(String planted) {
		String cache = planted.substring(0, planted.indexOf(':'));
		String payload = planted.substring(planted.indexOf(':') + 1);
		String key = "planted-" + Integer.toHexString(planted.hashCode());
		redis.set(Instances.entry(cache, key), utf8(payload.replace("\"k\"", "\"" + key + "\"")));
		double errors = instances.count(A, "cache.remote.errors", cache);
		Object value = cache.equals("items") ? shop(A).item(key) : shop(A).parcel(key);
		assertThat(value).isEqualTo(cache.equals("items") ? new Item(key, key.length()) : new Parcel(key, new Box(key)));
		assertThat(shop(A).executions(cache, key)).isEqualTo(1);
		assertThat(instances.count(A, "cache.remote.errors", cache)).isEqualTo(errors + 1);
		assertThat(Gadget.created).hasValue(0);
	}

	/**
	 * Where the declared type is {@code Object} (the return type, or a component), a
	 * payload in default typing's shapes is plain JSON: lists, maps and strings.
	 */
	@Test
	void aPlantedPayloadIsPlainJsonWhereTheDeclaredTypeIsObject() {
		redis.set(Instances.entry("anything", "array"), utf8("[\"" + GADGET + "\",{\"name\":\"x\"}]"));
		redis.set(Instances.entry("anything", "map"), utf8("{\"@class\":\"" + GADGET + "\",\"name\":\"x\"}"));
		redis.set(Instances.entry("holders", "held"),
				utf8("{\"id\":\"held\",\"payload\":[\"" + GADGET + "\",{\"name\":\"x\"}]}"));
		assertThat(shop(A).anything("array")).isEqualTo(List.of(GADGET, Map.of("name", "x")));
		assertThat(shop(A).anything("map")).isEqualTo(Map.of("@class", GADGET, "name", "x"));
		assertThat(shop(A).holder("held")).isEqualTo(new Holder("held", List.of(GADGET, Map.of("name", "x"))));
		assertThat(Gadget.created).hasValue(0);
		assertThat(shop(A).executions("anything", "array")).isZero();
		assertThat(shop(A).executions("holders", "held")).isZero();
	}

	/**
	 * The tier's own values need no type id: what one instance loads, the other reads
	 * back, a type named in a closed {@code @JsonSubTypes} list included.
	 */
	@Test
	void valuesStillTravelBetweenInstances() {
		Item item = shop(A).item("travel");
		Named named = shop(A).named("travel");
		assertThat(shop(B).item("travel")).isEqualTo(item);
		assertThat(shop(B).named("travel")).isEqualTo(named).isInstanceOf(Circle.class);
		assertThat(shop(B).executions("items", "travel")).isZero();
		assertThat(shop(B).executions("named", "travel")).isZero();
		assertThat(new String(redis.get(Instances.entry("items", "travel")), StandardCharsets.UTF_8))
			.doesNotContain("RedisValuesTypingTests");
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static Shop shop(int instance) {
		return instances.bean(instance, Shop.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		/** What makes Jackson take a class from a payload: default typing for everything non-final. */
		@Bean
		JsonMapperBuilderCustomizer defaultTyping() {
			return (builder) -> builder.activateDefaultTyping(
					BasicPolymorphicTypeValidator.builder().allowIfSubType(Object.class).build(),
					DefaultTyping.NON_FINAL_AND_RECORDS);
		}

		@Bean
		Shop shop() {
			return new Shop();
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

	/**
	 * A record whose component's type asks for a class id.
	 *
	 * @param id its id
	 * @param content its content
	 */
	public record Parcel(String id, Content content) {
	}

	/** Content, whose JSON names its class. */
	@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
	public interface Content {

	}

	/**
	 * A box.
	 *
	 * @param label its label
	 */
	public record Box(String label) implements Content {
	}

	/** A shape among a closed list of subtypes. */
	@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
	@JsonSubTypes(@JsonSubTypes.Type(value = Circle.class, name = "circle"))
	public interface Named {

	}

	/**
	 * A circle.
	 *
	 * @param name its name
	 */
	public record Circle(String name) implements Named {
	}

	/** A class a planted payload names, with a side effect in its constructor. */
	public static class Gadget implements Content {

		static final AtomicInteger created = new AtomicInteger();

		public String name;

		public Gadget() {
			created.incrementAndGet();
		}

	}

	/** The cached methods, counting their executions per key. */
	public static class Shop {

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		@Cached(name = "items")
		public Item item(String id) {
			executed("items", id);
			return new Item(id, id.length());
		}

		@Cached(name = "parcels")
		public Parcel parcel(String id) {
			executed("parcels", id);
			return new Parcel(id, new Box(id));
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

		@Cached(name = "named")
		public Named named(String id) {
			executed("named", id);
			return new Circle(id);
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
