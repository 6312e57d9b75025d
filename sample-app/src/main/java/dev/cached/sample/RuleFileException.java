package dev.cached.sample;

/**
 * A rule file that cannot be read or parsed, named with the reason.
 */
public class RuleFileException extends RuntimeException {

	public RuleFileException(String message, Throwable cause) {
		super(message, cause);
	}

	public RuleFileException(String message) {
		super(message);
	}

}
