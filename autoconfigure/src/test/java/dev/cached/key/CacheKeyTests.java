package dev.cached.key;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Value semantics of {@link CacheKey}.
 */
class CacheKeyTests {

	@Test
	void noValuesGiveTheEmptyKey() {
		assertThat(CacheKey.of()).isSameAs(CacheKey.EMPTY);
		assertThat(CacheKey.EMPTY).hasSameHashCodeAs(CacheKey.of());
		assertThat(CacheKey.EMPTY).hasToString("CacheKey []");
	}

	@Test
	void singlePlainValueIsTheKeyItself() {
		assertThat(CacheKey.of("id")).isEqualTo("id");
		assertThat(CacheKey.of(42L)).isEqualTo(42L);
		assertThat(CacheKey.ofValue("id")).isEqualTo("id");
	}

	@Test
	void singleNullIsWrapped() {
		Object key = CacheKey.of((Object) null);
		assertThat(key).isInstanceOf(CacheKey.class).isEqualTo(CacheKey.ofValue(null)).isNotEqualTo(CacheKey.EMPTY);
		assertThat(key).hasSameHashCodeAs(CacheKey.ofValue(null));
		assertThat(key).hasToString("CacheKey [null]");
	}

	@Test
	void singleArrayIsWrappedAndComparedByContent() {
		Object key = CacheKey.ofValue(new int[] { 1, 2 });
		assertThat(key).isInstanceOf(CacheKey.class)
			.isEqualTo(CacheKey.ofValue(new int[] { 1, 2 }))
			.isNotEqualTo(CacheKey.ofValue(new int[] { 2, 1 }))
			.isNotEqualTo(CacheKey.ofValue(new long[] { 1, 2 }));
		assertThat(key).hasSameHashCodeAs(CacheKey.ofValue(new int[] { 1, 2 }));
	}

	@Test
	void severalValuesAreComparedDeeply() {
		Object key = CacheKey.of("a", new String[][] { { "x" }, { "y" } }, null, 1);
		Object same = CacheKey.of("a", new String[][] { { "x" }, { "y" } }, null, 1);
		assertThat(key).isInstanceOf(CacheKey.class).isEqualTo(same).hasSameHashCodeAs(same);
		assertThat(key).isNotEqualTo(CacheKey.of("a", new String[][] { { "x" }, { "z" } }, null, 1));
		assertThat(key).isNotEqualTo(CacheKey.of("a", new String[][] { { "x" }, { "y" } }, 1, null));
		assertThat(key).hasToString("CacheKey [a, [[x], [y]], null, 1]");
	}

	@Test
	void orderMatters() {
		assertThat(CacheKey.of("a", "b")).isNotEqualTo(CacheKey.of("b", "a"));
	}

	@Test
	void keyIsNotEqualToItsSingleValueOrToOtherTypes() {
		assertThat(CacheKey.of("a", "b")).isNotEqualTo("a").isNotEqualTo(null);
	}

	@Test
	void valuesArrayIsCopied() {
		Object[] values = { "a", "b" };
		Object key = CacheKey.of(values);
		values[1] = "changed";
		assertThat(key).isEqualTo(CacheKey.of("a", "b"));
	}

	@Test
	void keySurvivesSerializationWithItsHash() throws Exception {
		Object key = CacheKey.of("a", new int[] { 1 });
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
			out.writeObject(key);
		}
		try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
			Object copy = in.readObject();
			assertThat(copy).isEqualTo(key).hasSameHashCodeAs(key);
		}
	}

}
