package dev.cached.aop;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.cached.CacheInvalidate;
import dev.cached.Cached;
import dev.cached.CachedAll;
import dev.cached.aop.CachedAllTests.User;
import dev.cached.autoconfigure.CachedAutoConfiguration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every misuse of {@code @CachedAll} (and of {@code @CacheInvalidate(elements)}) fails
 * startup with a message that names the method and the offending value, never the first
 * call.
 */
class CachedAllValidationTests {

	private static final String PREFIX = "dev.cached.aop.CachedAllValidationTests$";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, CachedAutoConfiguration.class));

	@Test
	void noIterableParameter() {
		fails(NoIterable.class, "@CachedAll on method '" + PREFIX + "NoIterable.find(long)' has no parameter of type "
				+ "Iterable (a Collection, Set, List or Iterable) to take the elements from; declare one, or name it "
				+ "with elements = \"#ids\"");
	}

	@Test
	void severalIterableParametersWithoutElements() {
		fails(SeveralIterables.class, "@CachedAll on method '" + PREFIX + "SeveralIterables.find(java.util.List,"
				+ "java.util.Set)' has 2 Iterable parameters (#p0, #p1); name the one that holds the elements with "
				+ "elements = \"#...\"");
	}

	@Test
	void severalIterableParametersWithElementsStart() {
		this.contextRunner.withBean(NamedElements.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(NamedElements.class).find(List.of("a"), Set.of(1L, 2L))).containsOnlyKeys(1L,
					2L);
		});
	}

	@Test
	void elementsThatNameNoParameter() {
		fails(ElementsNoParameter.class, "@CachedAll on method '" + PREFIX + "ElementsNoParameter.find(java.util.List)' "
				+ "has elements \"#ids.subList(0, 1)\", which does not name a parameter; name the parameter that holds "
				+ "the elements, e.g. elements = \"#ids\"");
	}

	@Test
	void elementsOfAParameterThatIsNoIterable() {
		fails(ElementsNoIterable.class, "@CachedAll on method '" + PREFIX + "ElementsNoIterable.find(java.lang.String,"
				+ "java.util.List)' has elements \"#tenant\", a parameter of type java.lang.String, which is not an "
				+ "Iterable");
	}

	@Test
	void aParameterTypeThatCannotHoldTheMissingElements() {
		fails(DequeParameter.class, "@CachedAll on method '" + PREFIX + "DequeParameter.find(java.util.ArrayDeque)' "
				+ "takes its elements as java.util.ArrayDeque, which cannot hold the missing elements");
	}

	@Test
	void aReturnTypeThatIsNeitherAMapNorAList() {
		fails(SetReturn.class, "@CachedAll on method '" + PREFIX + "SetReturn.find(java.util.Collection)' returns "
				+ "java.util.Set<" + User.class.getName() + ">, which is neither a Map nor a List/Collection");
		fails(VoidReturn.class, "@CachedAll on method '" + PREFIX + "VoidReturn.find(java.util.Collection)' returns "
				+ "void, which is neither a Map nor a List/Collection");
		fails(FutureOfSet.class, "@CachedAll on method '" + PREFIX + "FutureOfSet.find(java.util.Collection)' returns "
				+ "java.util.concurrent.CompletableFuture<java.util.Set<" + User.class.getName()
				+ ">>, which is neither a Map nor a List/Collection");
		fails(FluxReturn.class, "@CachedAll on method '" + PREFIX + "FluxReturn.find(java.util.Collection)' returns "
				+ "reactor.core.publisher.Flux, which @CachedAll does not take; return a reactor.core.publisher.Mono "
				+ "of a Map or a List");
	}

	@Test
	void aListReturnWithoutValueKey() {
		fails(ListWithoutValueKey.class, "@CachedAll on method '" + PREFIX + "ListWithoutValueKey.find(java.util"
				+ ".Collection)' returns java.util.List<" + User.class.getName() + ">, a list of values, but has no "
				+ "valueKey; say which element each value belongs to, e.g. valueKey = \"#value.id\"");
	}

	@Test
	void valueKeyWithAMapReturn() {
		fails(MapWithValueKey.class, "@CachedAll on method '" + PREFIX + "MapWithValueKey.find(java.util.Collection)' "
				+ "has valueKey \"#value.id\" but returns java.util.Map<java.lang.Long, " + User.class.getName()
				+ ">, a Map whose keys are the elements already; remove valueKey");
	}

	@Test
	void malformedExpressions() {
		fails(MalformedKey.class, "@CachedAll on method '" + PREFIX + "MalformedKey.find(java.util.Collection)' has an "
				+ "invalid key \"#element.(\": ");
		fails(UnknownVariable.class, "@CachedAll on method '" + PREFIX + "UnknownVariable.find(java.util.Collection)' "
				+ "has an invalid key \"#elment\": '#elment' refers to #elment, which is not a parameter");
		fails(ValueInKey.class, "@CachedAll on method '" + PREFIX + "ValueInKey.find(java.util.Collection)' has an "
				+ "invalid key \"#value\": ");
		fails(MalformedUnless.class, "@CachedAll on method '" + PREFIX + "MalformedUnless.find(java.util.Collection)' "
				+ "has an invalid unless \"#result.\": ");
		fails(BadTtl.class, "@CachedAll on method '" + PREFIX + "BadTtl.find(java.util.Collection)' has ttl \"soon\", "
				+ "which is not a duration");
	}

	@Test
	void withAnotherCachingAnnotation() {
		fails(WithCached.class, "@CachedAll on method '" + PREFIX + "WithCached.find(java.util.Collection)' also has "
				+ "@Cached; put them on different methods");
	}

	@Test
	void defaultNameClashWithTheSingleMethod() {
		fails(DefaultNameClash.class, "Methods '");
		this.contextRunner.withBean(DefaultNameClash.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("both resolve to the default cache name 'DefaultNameClash.find'"));
	}

	@Test
	void differentTtlsOnMethodsSharingACache() {
		fails(DifferentTtls.class, "Methods '");
	}

	@Test
	void cacheInvalidateWithElementsAndAllEntries() {
		fails(InvalidateElementsAndAll.class, "@CacheInvalidate on method '" + PREFIX
				+ "InvalidateElementsAndAll.evict(java.util.List)' sets both elements \"#ids\" and allEntries = true; "
				+ "use one of them");
	}

	private void fails(Class<?> bean, String messageStart) {
		this.contextRunner.withBean(bean)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith(messageStart));
	}

	static class NoIterable {

		@CachedAll
		public Map<Long, User> find(long id) {
			return Map.of();
		}

	}

	static class SeveralIterables {

		@CachedAll
		public Map<Long, User> find(List<String> tags, Set<Long> ids) {
			return Map.of();
		}

	}

	static class NamedElements {

		@CachedAll(elements = "#ids")
		public Map<Long, String> find(List<String> tags, Set<Long> ids) {
			return Map.of(1L, "one", 2L, "two");
		}

	}

	static class ElementsNoParameter {

		@CachedAll(elements = "#ids.subList(0, 1)")
		public Map<Long, User> find(List<Long> ids) {
			return Map.of();
		}

	}

	static class ElementsNoIterable {

		@CachedAll(elements = "#tenant")
		public Map<Long, User> find(String tenant, List<Long> ids) {
			return Map.of();
		}

	}

	static class DequeParameter {

		@CachedAll
		public Map<Long, User> find(ArrayDeque<Long> ids) {
			return Map.of();
		}

	}

	static class SetReturn {

		@CachedAll
		public Set<User> find(Collection<Long> ids) {
			return Set.of();
		}

	}

	static class VoidReturn {

		@CachedAll
		public void find(Collection<Long> ids) {
		}

	}

	static class FutureOfSet {

		@CachedAll
		public CompletableFuture<Set<User>> find(Collection<Long> ids) {
			return CompletableFuture.completedFuture(Set.of());
		}

	}

	static class FluxReturn {

		@CachedAll
		public Flux<User> find(Collection<Long> ids) {
			return Flux.empty();
		}

	}

	static class ListWithoutValueKey {

		@CachedAll
		public List<User> find(Collection<Long> ids) {
			return List.of();
		}

	}

	static class MapWithValueKey {

		@CachedAll(valueKey = "#value.id")
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class MalformedKey {

		@CachedAll(key = "#element.(")
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class UnknownVariable {

		@CachedAll(key = "#elment")
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class ValueInKey {

		@CachedAll(key = "#value")
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class MalformedUnless {

		@CachedAll(unless = "#result.")
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class BadTtl {

		@CachedAll(ttl = "soon")
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class WithCached {

		@Cached
		@CachedAll
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class DefaultNameClash {

		@Cached
		public User find(long id) {
			return new User(id, "one");
		}

		@CachedAll
		public Map<Long, User> find(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class DifferentTtls {

		@Cached(name = "users", ttl = "1m")
		public User find(long id) {
			return new User(id, "one");
		}

		@CachedAll(name = "users", ttl = "2m")
		public Map<Long, User> findAll(Collection<Long> ids) {
			return Map.of();
		}

	}

	static class InvalidateElementsAndAll {

		@CacheInvalidate(name = "users", elements = "#ids", allEntries = true)
		public void evict(List<Long> ids) {
		}

	}

}
