package dev.cached.testing.redis;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * Finding the Redis binaries ({@code redis-server}, {@code redis-cli}) on the {@code PATH},
 * and what a test does without one: skipped, but failed in CI ({@code CI=true}).
 */
final class Binaries {

	static final boolean JUNIT_PRESENT = isPresent("org.junit.jupiter.api.Assumptions");

	private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(10);

	private Binaries() {
	}

	/**
	 * Return the executable of that name on the {@code PATH}, if any.
	 * @param name e.g. {@code redis-server}
	 * @return the binary, or {@code null}
	 */
	static @Nullable Path find(String name) {
		String path = System.getenv("PATH");
		if (path == null) {
			return null;
		}
		for (String entry : path.split(File.pathSeparator)) {
			if (entry.isEmpty()) {
				continue;
			}
			try {
				Path candidate = Path.of(entry, name);
				if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
					return candidate;
				}
			}
			catch (InvalidPathException ex) {
				// not a directory name: ignore it, as a shell would
			}
		}
		return null;
	}

	/**
	 * Do nothing if the binary was found; else fail in CI, abort the calling test
	 * elsewhere, or without JUnit throw an {@link IllegalStateException}.
	 */
	static void require(@Nullable Path executable, @Nullable String ci, boolean junit, String missingInCi,
			String missing, String missingWithoutJunit) {
		if (executable != null) {
			return;
		}
		if ("true".equals(ci)) {
			throw new AssertionError(missingInCi);
		}
		if (junit) {
			JUnit.abort(missing);
		}
		throw new IllegalStateException(missingWithoutJunit);
	}

	/**
	 * Return the first line of what a binary says its version is ({@code --version}), or
	 * what went wrong.
	 */
	static String version(Path executable) {
		try {
			Process version = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
			String output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			Processes.waitForExit(version, VERSION_TIMEOUT);
			int end = output.indexOf('\n');
			return (end < 0) ? output : output.substring(0, end);
		}
		catch (IOException | IllegalStateException ex) {
			return "unknown (" + ex.getMessage() + ")";
		}
	}

	private static boolean isPresent(String className) {
		try {
			Class.forName(className, false, Binaries.class.getClassLoader());
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	/** The one use of JUnit, in a class of its own: loaded only where JUnit is present. */
	private static final class JUnit {

		static void abort(String message) {
			Assumptions.abort(message);
		}

	}

}
