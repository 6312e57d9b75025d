package dev.cached.autoconfigure;

import dev.cached.CacheInvalidate;
import dev.cached.CachePut;
import dev.cached.Cached;
import dev.cached.actuate.endpoint.CachedEndpoint;
import dev.cached.autoconfigure.CachedAutoConfigurationAotTests.RuleKey;
import dev.cached.autoconfigure.CachedAutoConfigurationAotTests.RuleService;
import dev.cached.expression.MethodCallRootObject;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CachedRuntimeHints} on its own, and for the hints Spring's AOT step
 * collects for an application with the starter (the context of
 * {@link CachedAutoConfigurationAotTests}), as a native image needs them.
 */
class CachedRuntimeHintsTests {

	private final RuntimeHints hints = new RuntimeHints();

	@Test
	void annotationAttributesCanBeReadReflectively() {
		new CachedRuntimeHints().registerHints(this.hints, getClass().getClassLoader());

		for (Class<?> annotation : new Class<?>[] { Cached.class, CachePut.class, CacheInvalidate.class,
				CacheInvalidate.List.class }) {
			assertThat(RuntimeHintsPredicates.reflection()
				.onType(annotation)
				.withMemberCategory(MemberCategory.INVOKE_DECLARED_METHODS)).accepts(this.hints);
		}
	}

	@Test
	void spelRootObjectPropertiesCanBeRead() {
		new CachedRuntimeHints().registerHints(this.hints, getClass().getClassLoader());

		for (String getter : new String[] { "getArgs", "getMethod", "getMethodName", "getTarget",
				"getTargetClass" }) {
			assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(MethodCallRootObject.class, getter))
				.accepts(this.hints);
		}
	}

	@Test
	void registersReflectionForAnnotatedMethodsAndTheirParameterTypes() {
		RuntimeHints hints = hints();

		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(RuleService.class, "getRule"))
			.accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(RuleService.class, "update"))
			.accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(RuleService.class, "put"))
			.accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(RuleKey.class, "id")).accepts(hints);
	}

	@Test
	void registersTheAnnotationsAndTheSpelRootObject() {
		RuntimeHints hints = hints();

		assertThat(RuntimeHintsPredicates.reflection().onType(Cached.class)).accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection().onType(CacheInvalidate.class)).accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(MethodCallRootObject.class, "getArgs")).accepts(hints);
	}

	@Test
	void registersBindingForTheConfigurationProperties() {
		RuntimeHints hints = hints();

		assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(CachedProperties.class, "setEnabled"))
			.accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(CachedProperties.Settings.class, "setMaxSize")).accepts(hints);
	}

	@Test
	void registersBindingForTheEndpointsJson() {
		RuntimeHints hints = hints();

		for (Class<?> descriptor : new Class<?>[] { CachedEndpoint.CachesDescriptor.class,
				CachedEndpoint.CacheDescriptor.class, CachedEndpoint.SettingDescriptor.class,
				CachedEndpoint.StatsDescriptor.class }) {
			assertThat(RuntimeHintsPredicates.reflection().onType(descriptor)).accepts(hints);
		}
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(CachedEndpoint.StatsDescriptor.class, "hitRatio")).accepts(hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(CachedEndpoint.SettingDescriptor.class, "source")).accepts(hints);
	}

	/** The hints of one AOT run, shared by the tests that only read them. */
	private static @Nullable RuntimeHints processed;

	private static synchronized RuntimeHints hints() {
		if (processed == null) {
			processed = CachedAutoConfigurationAotTests.process(new TestGenerationContext())
				.generationContext()
				.getRuntimeHints();
		}
		return processed;
	}

}
