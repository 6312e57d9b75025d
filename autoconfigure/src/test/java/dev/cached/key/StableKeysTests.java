package dev.cached.key;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.MonthDay;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Period;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The stable form of cache keys, {@link StableKeys}.
 */
class StableKeysTests {

	@Test
	void springDataSortsAreArraysOfOrders() {
		assertThat(StableKeys.encode(Sort.unsorted())).isEqualTo("[]");
		assertThat(StableKeys.encode(Sort.by("lastName").and(Sort.by(Sort.Order.desc("id").ignoreCase().nullsLast()))))
			.isEqualTo("[{\"property\":\"lastName\",\"direction\":\"ASC\"},"
					+ "{\"property\":\"id\",\"direction\":\"DESC\",\"ignoreCase\":true,"
					+ "\"nullHandling\":\"NULLS_LAST\"}]");
		assertThat(StableKeys.encode(Sort.by("a\"b"))).isEqualTo("[{\"property\":\"a\\\"b\",\"direction\":\"ASC\"}]");
		assertThat(StableKeys.isStableType(Sort.class)).isTrue();
	}

	@Test
	void springDataPageablesArePageSizeAndSort() {
		assertThat(StableKeys.encode(PageRequest.of(2, 20, Sort.by("lastName"))))
			.isEqualTo("{\"page\":2,\"size\":20,\"sort\":[{\"property\":\"lastName\",\"direction\":\"ASC\"}]}");
		assertThat(StableKeys.encode(Pageable.unpaged())).isEqualTo("{\"sort\":[]}");
		assertThat(StableKeys.encode(CacheKey.of(Pageable.ofSize(5), "vets")))
			.isEqualTo("[{\"page\":0,\"size\":5,\"sort\":[]},\"vets\"]");
		assertThat(StableKeys.encode(PageRequest.of(1, 3))).isEqualTo(StableKeys.encode(PageRequest.of(1, 3)))
			.isNotEqualTo(StableKeys.encode(PageRequest.of(3, 1)));
		assertThat(StableKeys.isStableType(Pageable.class)).isTrue();
		assertThat(StableKeys.isStableType(PageRequest.class)).isTrue();
	}

	@Test
	void nullIsNull() {
		assertThat(StableKeys.encode(null)).isEqualTo("null");
	}

	@Test
	void stringsAreJsonStringLiterals() {
		assertThat(StableKeys.encode("abc")).isEqualTo("\"abc\"");
		assertThat(StableKeys.encode("")).isEqualTo("\"\"");
		assertThat(StableKeys.encode('x')).isEqualTo("\"x\"");
		assertThat(StableKeys.encode('"')).isEqualTo("\"\\\"\"");
	}

	@Test
	void quotesBackslashesAndControlCharactersAreEscaped() {
		assertThat(StableKeys.encode("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
		assertThat(StableKeys.encode("\b\f\n\r\t")).isEqualTo("\"\\b\\f\\n\\r\\t\"");
		assertThat(StableKeys.encode("\u0000\u0001\u001f\u007f")).isEqualTo("\"\\u0000\\u0001\\u001f\\u007f\"");
		assertThat(StableKeys.encode(" ~/")).isEqualTo("\" ~/\"");
	}

	@Test
	void unicodeIsWrittenAsItselfButLoneSurrogatesAreEscaped() {
		assertThat(StableKeys.encode("é€中")).isEqualTo("\"é€中\"");
		assertThat(StableKeys.encode("\uD83D\uDE00")).isEqualTo("\"\uD83D\uDE00\"");
		assertThat(StableKeys.encode("a\uD83D")).isEqualTo("\"a\\ud83d\"");
		assertThat(StableKeys.encode("\uDE00b")).isEqualTo("\"\\ude00b\"");
		assertThat(StableKeys.encode("\uDE00\uD83D")).isEqualTo("\"\\ude00\\ud83d\"");
		// two lone surrogates stay distinct even once the form is written as UTF-8
		assertThat(StableKeys.encode("\uD800")).isNotEqualTo(StableKeys.encode("\uDBFF"));
	}

	@Test
	void integersAreDecimalDigits() {
		assertThat(StableKeys.encode(42)).isEqualTo("42");
		assertThat(StableKeys.encode(-42L)).isEqualTo("-42");
		assertThat(StableKeys.encode(Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
		assertThat(StableKeys.encode((short) 7)).isEqualTo("7");
		assertThat(StableKeys.encode((byte) -1)).isEqualTo("-1");
		assertThat(StableKeys.encode(new BigInteger("123456789012345678901234567890")))
			.isEqualTo("123456789012345678901234567890");
	}

	@Test
	void bigDecimalsArePlainAndKeepTheirScale() {
		assertThat(StableKeys.encode(new BigDecimal("1E+3"))).isEqualTo("1000");
		assertThat(StableKeys.encode(new BigDecimal("1"))).isEqualTo("1");
		assertThat(StableKeys.encode(new BigDecimal("1.0"))).isEqualTo("1.0");
		assertThat(StableKeys.encode(new BigDecimal("-0.00012"))).isEqualTo("-0.00012");
	}

	@Test
	void floatingPointNumbersUseTheirJavaText() {
		assertThat(StableKeys.encode(1.5d)).isEqualTo("1.5");
		assertThat(StableKeys.encode(1.0d)).isEqualTo("1.0");
		assertThat(StableKeys.encode(0.1f)).isEqualTo("0.1");
		assertThat(StableKeys.encode(-0.0d)).isEqualTo("-0.0").isNotEqualTo(StableKeys.encode(0.0d));
		assertThat(StableKeys.encode(1e10d)).isEqualTo("1.0E10");
		assertThat(StableKeys.encode(Double.NaN)).isEqualTo("NaN");
		assertThat(StableKeys.encode(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
	}

	@Test
	void booleansAreLiterals() {
		assertThat(StableKeys.encode(true)).isEqualTo("true");
		assertThat(StableKeys.encode(Boolean.FALSE)).isEqualTo("false");
	}

	@Test
	void enumsAreTheirNameAsAString() {
		assertThat(StableKeys.encode(Status.ACTIVE)).isEqualTo("\"ACTIVE\"");
		assertThat(StableKeys.encode(Status.CLOSED)).isEqualTo("\"CLOSED\"");
		// a constant with a body is a subclass: still its name
		assertThat(StableKeys.encode(Operation.PLUS)).isEqualTo("\"PLUS\"");
	}

	@Test
	void uuidsAndTimeValuesAreTheirTextAsAString() {
		UUID uuid = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
		assertThat(StableKeys.encode(uuid)).isEqualTo("\"123e4567-e89b-12d3-a456-426614174000\"");
		assertThat(StableKeys.encode(LocalDate.of(2024, 5, 1))).isEqualTo("\"2024-05-01\"");
		assertThat(StableKeys.encode(LocalDateTime.of(2024, 5, 1, 13, 45, 30)))
			.isEqualTo("\"2024-05-01T13:45:30\"");
		assertThat(StableKeys.encode(LocalTime.of(13, 45))).isEqualTo("\"13:45\"");
		assertThat(StableKeys.encode(Instant.parse("2024-05-01T10:15:30.123Z")))
			.isEqualTo("\"2024-05-01T10:15:30.123Z\"");
		assertThat(StableKeys.encode(OffsetDateTime.of(2024, 5, 1, 13, 45, 0, 0, ZoneOffset.ofHours(2))))
			.isEqualTo("\"2024-05-01T13:45+02:00\"");
		assertThat(StableKeys.encode(OffsetTime.of(13, 45, 0, 0, ZoneOffset.UTC))).isEqualTo("\"13:45Z\"");
		assertThat(StableKeys.encode(ZonedDateTime.of(2024, 5, 1, 13, 45, 0, 0, ZoneId.of("Europe/Paris"))))
			.isEqualTo("\"2024-05-01T13:45+02:00[Europe/Paris]\"");
		assertThat(StableKeys.encode(Duration.ofMinutes(90))).isEqualTo("\"PT1H30M\"");
		assertThat(StableKeys.encode(Period.ofDays(3))).isEqualTo("\"P3D\"");
		assertThat(StableKeys.encode(Year.of(2024))).isEqualTo("\"2024\"");
		assertThat(StableKeys.encode(YearMonth.of(2024, 5))).isEqualTo("\"2024-05\"");
		assertThat(StableKeys.encode(MonthDay.of(5, 1))).isEqualTo("\"--05-01\"");
	}

	@Test
	void recordsAreObjectsOfTheirComponentsInDeclarationOrder() {
		assertThat(StableKeys.encode(new TenantId("acme", 7))).isEqualTo("{\"tenant\":\"acme\",\"id\":7}");
		assertThat(StableKeys.encode(new Empty())).isEqualTo("{}");
		assertThat(StableKeys.encode(new TenantId(null, 0))).isEqualTo("{\"tenant\":null,\"id\":0}");
	}

	@Test
	void nestedRecordsAreNestedObjects() {
		Order order = new Order(new TenantId("a\"b", 1), Status.ACTIVE, List.of(UUID.fromString(
				"123e4567-e89b-12d3-a456-426614174000")), new long[] { 1, 2 });
		assertThat(StableKeys.encode(order)).isEqualTo("{\"tenant\":{\"tenant\":\"a\\\"b\",\"id\":1},"
				+ "\"status\":\"ACTIVE\",\"items\":[\"123e4567-e89b-12d3-a456-426614174000\"],\"codes\":[1,2]}");
	}

	@Test
	void emptyKeyIsAnEmptyArray() {
		assertThat(StableKeys.encode(CacheKey.EMPTY)).isEqualTo("[]");
		assertThat(StableKeys.encode(CacheKey.of())).isEqualTo("[]");
	}

	@Test
	void compositeKeysAreArraysOfTheirValues() {
		assertThat(StableKeys.encode(CacheKey.of("a", 1, null, true))).isEqualTo("[\"a\",1,null,true]");
		assertThat(StableKeys.encode(CacheKey.of((Object) null))).isEqualTo("[null]");
		assertThat(StableKeys.encode(CacheKey.of("x", new TenantId("acme", 7))))
			.isEqualTo("[\"x\",{\"tenant\":\"acme\",\"id\":7}]");
	}

	@Test
	void compositeKeyValuesAreACopy() {
		CacheKey key = (CacheKey) CacheKey.of("a", 1);
		@Nullable Object[] values = key.values();
		assertThat(values).containsExactly("a", 1);
		values[0] = "changed";
		assertThat(key.values()).containsExactly("a", 1);
		assertThat(key).isEqualTo(CacheKey.of("a", 1));
		assertThat(CacheKey.EMPTY.values()).isEmpty();
	}

	@Test
	void singlePlainValueIsTheValueItself() {
		assertThat(StableKeys.encode(CacheKey.of("a"))).isEqualTo("\"a\"");
		assertThat(StableKeys.encode(CacheKey.of(42L))).isEqualTo("42");
	}

	@Test
	void arraysInsideKeysAreNestedArrays() {
		assertThat(StableKeys.encode(CacheKey.ofValue(new int[] { 1, 2 }))).isEqualTo("[[1,2]]");
		assertThat(StableKeys.encode(CacheKey.of("a", new String[][] { { "x" }, { "y", null } }, 1)))
			.isEqualTo("[\"a\",[[\"x\"],[\"y\",null]],1]");
		assertThat(StableKeys.encode(new char[] { 'a', '"' })).isEqualTo("[\"a\",\"\\\"\"]");
		assertThat(StableKeys.encode(new boolean[] { true, false })).isEqualTo("[true,false]");
		assertThat(StableKeys.encode(new double[] { 0.5 })).isEqualTo("[0.5]");
		assertThat(StableKeys.encode(new Object[0])).isEqualTo("[]");
	}

	@Test
	void listsAreArraysOfTheirElements() {
		assertThat(StableKeys.encode(List.of("a", "b"))).isEqualTo("[\"a\",\"b\"]");
		assertThat(StableKeys.encode(new ArrayList<>(List.of(1, 2)))).isEqualTo("[1,2]");
		assertThat(StableKeys.encode(Arrays.asList("a", null))).isEqualTo("[\"a\",null]");
		assertThat(StableKeys.encode(List.of(List.of(), List.of(Status.CLOSED)))).isEqualTo("[[],[\"CLOSED\"]]");
	}

	@Test
	void equalKeysGiveEqualForms() {
		Object key = CacheKey.of("a", new String[][] { { "x" } }, new TenantId("t", 1), 2L);
		Object same = CacheKey.of("a", new String[][] { { "x" } }, new TenantId("t", 1), 2L);
		assertThat(key).isEqualTo(same);
		assertThat(StableKeys.encode(key)).isEqualTo(StableKeys.encode(same));
		assertThat(StableKeys.encode(new TenantId("t", 1))).isEqualTo(StableKeys.encode(new TenantId("t", 1)));
	}

	@Test
	void distinctKeysGiveDistinctForms() {
		List<Object> keys = List.of(CacheKey.of("a,b"), CacheKey.of("a", "b"), CacheKey.of("b", "a"),
				CacheKey.of("a\",\"b"), CacheKey.of("[\"a\",\"b\"]"), CacheKey.of("a", "b", null),
				CacheKey.of((Object) null), CacheKey.EMPTY, CacheKey.of("null"), CacheKey.of(1),
				CacheKey.of("1"), CacheKey.of(new TenantId("a", 1)), CacheKey.of("{\"tenant\":\"a\",\"id\":1}"),
				CacheKey.of(true), CacheKey.of("true"), CacheKey.of(new BigDecimal("1.0")),
				CacheKey.ofValue(new String[] { "a", "b" }), CacheKey.of("a", new String[] { "b" }));
		List<String> forms = keys.stream().map(StableKeys::encode).toList();
		assertThat(forms).doesNotHaveDuplicates();
		assertThat(StableKeys.encode(CacheKey.of("a,b"))).isEqualTo("\"a,b\"");
		assertThat(StableKeys.encode(CacheKey.of("a", "b"))).isEqualTo("[\"a\",\"b\"]");
	}

	@Test
	void plainClassesAreRejectedByName() {
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(new Entity(1)))
			.withMessage("Cache key part of type " + Entity.class.getName() + " has no stable string form; use a key "
					+ "expression that yields strings, numbers, booleans, enums, UUIDs, records of those, or "
					+ "several of them");
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(new HashMap<>(Map.of("a", 1))))
			.withMessageContaining("type java.util.HashMap has no stable string form");
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(Set.of("a")))
			.withMessageContaining("has no stable string form");
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(new Object()))
			.withMessageContaining("type java.lang.Object has");
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(ZoneId.of("Europe/Paris")))
			.withMessageContaining("has no stable string form");
	}

	@Test
	void unstablePartsAreRejectedByName() {
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(CacheKey.of("a", new Entity(1))))
			.withMessageContaining("type " + Entity.class.getName() + " has no stable string form");
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(List.of(new Entity(1))))
			.withMessageContaining("type " + Entity.class.getName());
		assertThatIllegalArgumentException()
			.isThrownBy(() -> StableKeys.encode(new WithEntity("a", new Entity(1))))
			.withMessageContaining("type " + Entity.class.getName());
		assertThatIllegalArgumentException()
			.isThrownBy(() -> StableKeys.encode(new Object[] { "a", new StringBuilder("b") }))
			.withMessageContaining("type java.lang.StringBuilder");
	}

	@Test
	void cyclicValuesAreRejected() {
		List<Object> cyclic = new ArrayList<>();
		cyclic.add(cyclic);
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(cyclic))
			.withMessageContaining("nested more than");
	}

	@Test
	void failingRecordAccessorIsRejectedByName() {
		assertThatIllegalArgumentException().isThrownBy(() -> StableKeys.encode(new Failing("a")))
			.withMessageContaining("record type " + Failing.class.getName())
			.withMessageContaining("component 'value'")
			.withCauseInstanceOf(IllegalStateException.class);
	}

	@Test
	void stableScalarTypes() {
		for (Class<?> type : List.of(boolean.class, Boolean.class, char.class, Character.class, byte.class,
				Byte.class, short.class, Short.class, int.class, Integer.class, long.class, Long.class, float.class,
				Float.class, double.class, Double.class, String.class, BigInteger.class, BigDecimal.class,
				UUID.class, LocalDate.class, LocalDateTime.class, LocalTime.class, Instant.class,
				OffsetDateTime.class, OffsetTime.class, ZonedDateTime.class, Duration.class, Period.class,
				Year.class, YearMonth.class, MonthDay.class)) {
			assertThat(StableKeys.isStableType(type)).as(type.getName()).isTrue();
		}
	}

	@Test
	void enumTypesAreStableButNotEnumItself() {
		assertThat(StableKeys.isStableType(Status.class)).isTrue();
		assertThat(StableKeys.isStableType(Operation.class)).isTrue();
		assertThat(StableKeys.isStableType(Operation.PLUS.getClass())).isTrue();
		assertThat(StableKeys.isStableType(Enum.class)).isFalse();
	}

	@Test
	void recordsOfStableComponentsAreStable() {
		assertThat(StableKeys.isStableType(TenantId.class)).isTrue();
		assertThat(StableKeys.isStableType(Empty.class)).isTrue();
		assertThat(StableKeys.isStableType(Order.class)).isTrue();
		assertThat(StableKeys.isStableType(Node.class)).isTrue();
	}

	@Test
	void recordsWithAnUnstableComponentAreNot() {
		assertThat(StableKeys.isStableType(WithEntity.class)).isFalse();
		assertThat(StableKeys.isStableType(Nested.class)).isFalse();
		assertThat(StableKeys.isStableType(CyclicWithEntity.class)).isFalse();
	}

	@Test
	void arraysListsAndCompositeKeysAreStableByTheirElements() {
		assertThat(StableKeys.isStableType(int[].class)).isTrue();
		assertThat(StableKeys.isStableType(String[][].class)).isTrue();
		assertThat(StableKeys.isStableType(TenantId[].class)).isTrue();
		assertThat(StableKeys.isStableType(Entity[].class)).isFalse();
		assertThat(StableKeys.isStableType(Object[].class)).isFalse();
		assertThat(StableKeys.isStableType(List.class)).isTrue();
		assertThat(StableKeys.isStableType(ArrayList.class)).isTrue();
		assertThat(StableKeys.isStableType(CacheKey.class)).isTrue();
	}

	@Test
	void otherTypesAreNotStable() {
		for (Class<?> type : List.of(Object.class, Number.class, CharSequence.class, StringBuilder.class,
				Entity.class, Map.class, HashMap.class, Set.class, Collection.class, ZoneId.class, Record.class,
				Comparable.class, java.util.Date.class, java.util.Optional.class)) {
			assertThat(StableKeys.isStableType(type)).as(type.getName()).isFalse();
		}
	}

	enum Status {

		ACTIVE, CLOSED

	}

	enum Operation {

		PLUS {
			@Override
			int apply(int a, int b) {
				return a + b;
			}
		};

		abstract int apply(int a, int b);

	}

	record TenantId(@Nullable String tenant, int id) {
	}

	record Empty() {
	}

	record Order(TenantId tenant, Status status, List<UUID> items, long[] codes) {
	}

	record Node(String value, @Nullable Node next) {
	}

	record WithEntity(String name, Entity entity) {
	}

	record Nested(TenantId id, WithEntity inner) {
	}

	record CyclicWithEntity(@Nullable CyclicWithEntity next, Entity entity) {
	}

	record Failing(String value) {

		@Override
		public String value() {
			throw new IllegalStateException("boom");
		}

	}

	static final class Entity {

		private final long id;

		Entity(long id) {
			this.id = id;
		}

		long getId() {
			return this.id;
		}

	}

}
