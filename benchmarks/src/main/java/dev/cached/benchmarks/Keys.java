package dev.cached.benchmarks;

/**
 * The keys and values every variant uses: keys {@code 0..1023} ({@code long}, boxed once
 * here for the raw maps), and a 32-character value per key.
 */
final class Keys {

	/** The number of keys of the hit benchmarks; a power of two. */
	static final int COUNT = 1024;

	static final int MASK = COUNT - 1;

	/** The keys, boxed once, for the raw maps. */
	static final Long[] BOXED = new Long[COUNT];

	/** The first argument of the two-argument methods. */
	static final String[] NAMES = new String[COUNT];

	/** The value of each key. */
	static final String[] VALUES = new String[COUNT];

	static {
		for (int i = 0; i < COUNT; i++) {
			BOXED[i] = (long) i;
			NAMES[i] = "name-" + i;
			VALUES[i] = value(i);
		}
	}

	private Keys() {
	}

	/**
	 * Return a new 32-character value for a key.
	 * @param key the key
	 * @return the value, a new instance on every call
	 */
	static String value(long key) {
		String digits = Long.toString(key);
		StringBuilder builder = new StringBuilder(32).append("value-");
		for (int i = 6 + digits.length(); i < 32; i++) {
			builder.append('0');
		}
		return builder.append(digits).toString();
	}

}
