package dev.cached.sample;

import java.io.PrintStream;
import java.util.Map;
import java.util.Objects;

import dev.cached.engine.CacheRegistry;
import dev.cached.engine.CachedCache;

import org.springframework.aot.AotDetector;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The rules service. {@code java -jar cached-sample-app.jar} starts the web application;
 * {@code java -jar cached-sample-app.jar demo [--calls=64]} runs the stampede demo
 * without a web server, then a bulk request ({@link BulkDemo}), and exits with 0 only if
 * {@code @Cached} loaded exactly once and the bulk request ran once for its missing ids;
 * {@code java -jar cached-sample-app.jar demo-many [--calls=32]} runs two instances on one
 * Redis and exits with 0 only if they loaded once in total ({@link ManyInstancesDemo}).
 * With {@code --cached.redis.enabled=true}, the web application is one of several
 * instances on one Redis ({@code spring.data.redis.host} and {@code port}).
 * Built with {@code mvn -Paot package} and started with {@code -Dspring.aot.enabled=true},
 * both run from the code Spring's AOT step generated.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class SampleApplication {

	public static void main(String[] args) throws InterruptedException {
		if (args.length > 0 && "demo".equals(args[0])) {
			int exitCode;
			try {
				exitCode = demo(args);
			}
			catch (IllegalArgumentException ex) {
				System.err.println("demo: " + ex.getMessage());
				exitCode = 2;
			}
			System.exit(exitCode);
		}
		if (args.length > 0 && "demo-many".equals(args[0])) {
			System.exit(demoMany(args, System.out, System.err));
		}
		SpringApplication.run(SampleApplication.class, args);
	}

	/**
	 * Run the many-instances demo: two instances of the sample on one Redis.
	 * @param args the command line, starting with {@code demo-many}
	 * @param out where the report goes
	 * @param err where problems go
	 * @return the exit code: 0 if the rules were loaded once in total and a clear on one
	 * instance reached the other, 1 if not, 2 for a bad option, 3 if no Redis answers
	 * @throws InterruptedException if this thread is interrupted while the demo runs
	 */
	static int demoMany(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
		try {
			return ManyInstancesDemo.run(args, out, err);
		}
		catch (IllegalArgumentException ex) {
			err.println("demo-many: " + ex.getMessage());
			return 2;
		}
		catch (IllegalStateException ex) {
			err.println("demo-many: " + ex.getMessage());
			return 1;
		}
	}

	private static int demo(String[] args) throws InterruptedException {
		SpringApplication application = new SpringApplication(SampleApplication.class);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		if (AotDetector.useGeneratedArtifacts()) {
			// Spring's AOT step fixed the application's shape at build time, as the web
			// application: the demo runs inside it, on a free port, closed when done.
			application.setDefaultProperties(Map.of("rules.preload", "false", "server.port", "0"));
		}
		else {
			application.setWebApplicationType(WebApplicationType.NONE);
			application.setDefaultProperties(Map.of("rules.preload", "false"));
		}
		try (ConfigurableApplicationContext context = application.run(args)) {
			int calls = number(context, "calls", 64);
			int timeline = number(context, "timeline", 8);
			StampedeDemo demo = new StampedeDemo(context.getBean(RuleService.class),
					context.getBean(RuleFileLoader.class), context.getBean(CacheRegistry.class));
			StampedeReport report = demo.run(calls);
			System.out.println(report.format(timeline));
			CachedCache rules = context.getBean(CacheRegistry.class).getCache("RuleService.getRule");
			BulkDemo.Report bulk = new BulkDemo(context.getBean(RuleService.class),
					context.getBean(RuleFileLoader.class), Objects.requireNonNull(rules)).run();
			System.out.println(bulk.format());
			return (report.singleFlight() && bulk.ok()) ? 0 : 1;
		}
	}

	private static int number(ConfigurableApplicationContext context, String option, int defaultValue) {
		String value = context.getEnvironment().getProperty(option, String.valueOf(defaultValue));
		try {
			return Integer.parseInt(value.trim());
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("--" + option + " must be a whole number, but was '" + value + "'");
		}
	}

}
