package dev.cached.testing.redis;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link RedisServer} of a test class's own, or of each test's own, started by JUnit.
 * Registered in a {@code static} field, it starts the server before the class's first test
 * and closes it after its last; in an instance field, it starts a server before each test
 * and closes it after that test:
 * <pre class="code">
 * &#64;RegisterExtension
 * static final RedisServerExtension redisServer = new RedisServerExtension();
 *
 * private static final RedisServer redis = redisServer.server();
 * </pre>
 * {@link #server()} can be called at once, as above: the server it returns runs from the
 * extension's start on. Without a {@code redis-server} binary the start skips the tests, or
 * fails them in CI, as {@link RedisServer#start()} does.
 */
public final class RedisServerExtension
		implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

	private final RedisServer server;

	/**
	 * How many test classes have started this extension's server and not yet closed it: 1
	 * for a class, more for the {@code @Nested} classes inside it, 0 when registered in an
	 * instance field. Written and read by JUnit's thread for the class.
	 */
	private int classes;

	/**
	 * An extension for a server with the default options.
	 */
	public RedisServerExtension() {
		this(RedisServer.builder());
	}

	/**
	 * An extension for a server with options.
	 * @param options the options, e.g. {@code RedisServer.builder().arguments(...)}
	 */
	public RedisServerExtension(RedisServer.Builder options) {
		this.server = options.build();
	}

	/**
	 * Return the server: running from the extension's start on, for the class or the test.
	 * @return the server
	 */
	public RedisServer server() {
		return this.server;
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		// a @Nested class runs the callbacks of its enclosing class's extensions again
		if (this.classes++ == 0) {
			this.server.launch();
		}
	}

	@Override
	public void afterAll(ExtensionContext context) {
		if (--this.classes == 0) {
			this.server.close();
		}
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		if (this.classes == 0) {
			this.server.launch();
		}
	}

	@Override
	public void afterEach(ExtensionContext context) {
		if (this.classes == 0) {
			this.server.close();
		}
	}

}
