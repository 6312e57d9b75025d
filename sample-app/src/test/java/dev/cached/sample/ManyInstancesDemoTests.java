package dev.cached.sample;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cached.testing.redis.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@code java -jar cached-sample-app.jar demo-many} in-process, against a
 * {@code redis-server} that the test starts on a free port: two instances of the sample,
 * one load in total, a clear on one instance reaching the other, exit code 0, and nothing
 * left in Redis; the first line of output names the Redis it used. Without Redis the demo
 * says how to start one and exits with 3.
 */
@ExtendWith(OutputCaptureExtension.class)
class ManyInstancesDemoTests {

	private static final int CALLS = 16;

	@Test
	void twoInstancesOnOneRedisLoadTheRulesOnceAndAClearOnOneReachesTheOther(CapturedOutput output) throws Exception {
		try (RedisServer redis = RedisServer.start()) {
			int mark = output.getOut().length();

			// System.out, as from the command line: the instances' log lines go there too
			int exitCode = SampleApplication.demoMany(new String[] { "demo-many", "--calls=" + CALLS,
					"--spring.data.redis.host=" + redis.host(), "--spring.data.redis.port=" + redis.port() },
					System.out, System.err);

			String report = output.getOut().substring(mark);
			assertThat(exitCode).as(output.getAll()).isZero();
			String info = String.valueOf(redis.command("INFO", "server"));
			assertThat(report.lines().findFirst()).as("the first line of output").hasValue("demo-many: using the "
					+ "Redis at 127.0.0.1:" + redis.port() + " (redis_version " + field(info, "redis_version")
					+ ", run_id " + field(info, "run_id") + "); another one: --spring.data.redis.host=<host> "
					+ "--spring.data.redis.port=<port>");
			assertThat(report).contains("2 instances of the sample app on one Redis (127.0.0.1:" + redis.port()
					+ ", keys under cached:demo:)", CALLS + " concurrent calls of RuleService.getAllRules() on each "
					+ "instance, " + 2 * CALLS + " in total");
			assertThat(total(report, "loads executed")).isEqualTo("1");
			assertThat(total(report, "file reads")).isEqualTo("53");
			assertThat(total(report, "hits / misses")).isEqualTo((2 * CALLS - 1) + " / 1");
			// one instance took the lease and missed; the other waited and found the value
			assertThat(total(report, "Redis hits / misses")).isEqualTo("1 / 1");
			assertThat(total(report, "Redis writes")).isEqualTo("1");
			assertThat(total(report, "Redis errors")).isEqualTo("0");
			assertThat(report).contains("instance 2 dropped its local copy",
					"instance 2 calls getAllRules(): 1 load (the Redis entry was deleted too)",
					"instance 1 calls getAllRules(): 0 loads",
					"OK: the rules were loaded once for " + 2 * CALLS + " concurrent calls on 2 instances");
			assertThat(redis.keys("*")).as("keys left in Redis").isEmpty();
		}
	}

	@Test
	void withoutRedisTheDemoSaysHowToStartOneAndExitsWithThree() throws Exception {
		int port = unusedPort();
		Output output = new Output();

		int exitCode = SampleApplication.demoMany(
				new String[] { "demo-many", "--spring.data.redis.host=127.0.0.1", "--spring.data.redis.port=" + port },
				output.out, output.err);

		assertThat(exitCode).isEqualTo(ManyInstancesDemo.NO_REDIS);
		assertThat(output.err()).contains("demo-many: no Redis answers at 127.0.0.1:" + port,
				"redis-server --port " + port, "--spring.data.redis.host=<host> --spring.data.redis.port=<port>");
		assertThat(output.out()).isEmpty();
	}

	@Test
	void badCallsOptionExitsWithTwo() throws Exception {
		Output output = new Output();

		int exitCode = SampleApplication.demoMany(new String[] { "demo-many", "--calls=many" }, output.out,
				output.err);

		assertThat(exitCode).isEqualTo(2);
		assertThat(output.err()).contains("demo-many: --calls must be a whole number, but was 'many'");
	}

	/** A field of the reply to {@code INFO}. */
	private static String field(String info, String name) {
		Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + ":(\\S+)").matcher(info);
		assertThat(matcher.find()).as("%s in:%n%s", name, info).isTrue();
		return matcher.group(1);
	}

	/** The total column of a row of the report. */
	private static String total(String report, String row) {
		Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(row) + " {2,}.*? {2,}(\\S+(?: / \\S+)?)$")
			.matcher(report);
		assertThat(matcher.find()).as("row '%s' in:%n%s", row, report).isTrue();
		return matcher.group(1);
	}

	private static int unusedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private static final class Output {

		private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();

		private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

		final PrintStream out = new PrintStream(this.outBytes, true, StandardCharsets.UTF_8);

		final PrintStream err = new PrintStream(this.errBytes, true, StandardCharsets.UTF_8);

		String out() {
			return this.outBytes.toString(StandardCharsets.UTF_8);
		}

		String err() {
			return this.errBytes.toString(StandardCharsets.UTF_8);
		}

		String all() {
			return out() + err();
		}

	}

}
