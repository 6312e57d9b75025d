package dev.cached.engine;

/**
 * Where an effective cache setting came from, highest precedence first.
 */
public enum SettingSource {

	/** {@code cached.caches.<name>.*}. */
	CACHE("cache"),

	/** The {@code @Cached} annotation. */
	ANNOTATION("annotation"),

	/** {@code cached.defaults.*}. */
	DEFAULTS("defaults"),

	/** The value built into the starter. */
	BUILT_IN("built-in");

	private final String label;

	SettingSource(String label) {
		this.label = label;
	}

	/**
	 * Return the label used in the actuator and logs.
	 * @return the label, e.g. {@code built-in}
	 */
	public String label() {
		return this.label;
	}

	@Override
	public String toString() {
		return this.label;
	}

}
