package dev.cached.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.SliceImpl;
import org.springframework.data.domain.Sort;

import dev.cached.Cached;
import dev.cached.testing.redis.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values and keys of real applications (Spring PetClinic's, ported to {@code @Cached}),
 * across two instances on one Redis: an entity with getter-only properties comes back
 * equal, methods sharing a cache read their own declared types, and Spring Data's
 * {@code Page} and {@code Slice} travel with {@code Pageable} and {@code Sort} keys.
 */
class RedisApplicationValuesTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final JsonMapper json = JsonMapper.builder().build();

	@RegisterExtension
	static final Instances instances = Instances.perClass(Application.class, 2, "--cached.defaults.remote=true",
			"--cached.defaults.ttl=10m");

	private static final RedisServer redis = instances.redis();

	@Test
	void anEntityWithGetterOnlyPropertiesComesBackEqual() {
		double errors = instances.count(B, "cache.remote.errors", "vet");
		Vet vet = vets(A).vet(1);
		String written = new String(redis.get(Instances.entry("vet", 1)), StandardCharsets.UTF_8);
		assertThat(written).contains("\"new\":false").contains("\"nrOfSpecialties\":2");
		assertThat(vets(B).vet(1)).isEqualTo(vet);
		assertThat(vets(B).executions("vet:1")).isZero();
		assertThat(instances.count(B, "cache.remote.errors", "vet")).isEqualTo(errors);
	}

	@Test
	void methodsSharingACacheEachReadTheirOwnDeclaredType() {
		double errors = instances.count(B, "cache.remote.errors", "people");
		List<Vet> named = vets(A).named("Carter");
		Vet byId = vets(A).byId(3);
		assertThat(vets(B).byId(3)).isEqualTo(byId);
		assertThat(vets(B).named("Carter")).isEqualTo(named);
		assertThat(vets(B).executions("people:byId:3")).isZero();
		assertThat(vets(B).executions("people:named:Carter")).isZero();
		assertThat(instances.count(B, "cache.remote.errors", "people")).isEqualTo(errors);
	}

	@Test
	void aValueOfAnotherMethodUnderTheSameKeyIsAMissCountedAsAnError() {
		double errors = instances.count(B, "cache.remote.errors", "people");
		// the same key, "Leary", for a method returning a list and one returning a vet
		List<Vet> named = vets(A).named("Leary");
		assertThat(named).hasSize(1);
		Vet first = vets(B).firstNamed("Leary");
		assertThat(first).isEqualTo(named.get(0));
		assertThat(vets(B).executions("people:firstNamed:Leary")).isOne();
		assertThat(instances.count(B, "cache.remote.errors", "people")).isEqualTo(errors + 1);
	}

	@Test
	void pagesAndUnpagedPagesOfACacheSharedWithACollectionComeBackAsPageImpls() {
		double errors = instances.count(B, "cache.remote.errors", "vets");
		PageRequest request = PageRequest.of(1, 2, Sort.by("lastName").descending().and(Sort.by("id")));
		Collection<Vet> all = vets(A).findAll();
		Page<Vet> page = vets(A).findAll(request);
		Page<Vet> unpaged = vets(A).findAll(Pageable.unpaged(Sort.by("id")));
		assertThat(page.getContent()).hasSize(2);
		assertThat(page.getTotalElements()).isEqualTo(Vets.ALL.size());
		Page<Vet> read = vets(B).findAll(request);
		assertThat(read).isInstanceOf(PageImpl.class).isEqualTo(page);
		assertThat(read.getTotalElements()).isEqualTo(page.getTotalElements());
		assertThat(read.getPageable()).isEqualTo(request);
		assertThat(vets(B).findAll(Pageable.unpaged(Sort.by("id")))).isEqualTo(unpaged);
		assertThat(vets(B).findAll()).isEqualTo(all);
		assertThat(vets(B).executions("vets:all")).isZero();
		assertThat(vets(B).executions("vets:" + request)).isZero();
		assertThat(vets(B).executions("vets:" + Pageable.unpaged(Sort.by("id")))).isZero();
		assertThat(instances.count(B, "cache.remote.errors", "vets")).isEqualTo(errors);
	}

	@Test
	void aPageTravelsAsContentPageRequestAndTotalUnderAStableKey() throws Exception {
		PageRequest request = PageRequest.of(0, 1, Sort.by(Sort.Order.asc("lastName").ignoreCase()));
		vets(A).findAll(request);
		String entry = RedisKeyLayout.entry("cached:", "vets", 0, "{\"page\":0,\"size\":1,\"sort\":"
				+ "[{\"property\":\"lastName\",\"direction\":\"ASC\",\"ignoreCase\":true}]}");
		assertThat(Instances.entry("vets", request)).isEqualTo(entry);
		byte[] stored = redis.get(entry);
		assertThat(stored).isNotNull();
		String vet = json.writeValueAsString(Vets.ALL.get(0));
		assertThat(json.readTree(stored)).isEqualTo(json.readTree("{\"content\":[" + vet + "],\"pageable\":{\"page\":0,"
				+ "\"size\":1,\"sort\":[{\"property\":\"lastName\",\"direction\":\"ASC\",\"ignoreCase\":true}]},"
				+ "\"total\":" + Vets.ALL.size() + "}"));
	}

	@Test
	void slicesComeBackAsSliceImpls() {
		double errors = instances.count(B, "cache.remote.errors", "slices");
		PageRequest request = PageRequest.of(0, 2);
		Slice<Vet> slice = vets(A).slice(request);
		assertThat(slice.hasNext()).isTrue();
		Slice<Vet> read = vets(B).slice(request);
		assertThat(read).isInstanceOf(SliceImpl.class).isEqualTo(slice);
		assertThat(read.hasNext()).isTrue();
		assertThat(vets(B).executions("slices:" + request)).isZero();
		assertThat(instances.count(B, "cache.remote.errors", "slices")).isEqualTo(errors);
	}

	@Test
	void sortKeysAreStable() {
		Sort sort = Sort.by(Sort.Order.desc("lastName").nullsFirst());
		List<Vet> sorted = vets(A).sorted(sort);
		assertThat(redis.get(RedisKeyLayout.entry("cached:", "sorted", 0,
				"[{\"property\":\"lastName\",\"direction\":\"DESC\"," + "\"nullHandling\":\"NULLS_FIRST\"}]"))).isNotNull();
		assertThat(vets(B).sorted(sort)).isEqualTo(sorted);
		assertThat(vets(B).executions("sorted:" + sort)).isZero();
	}

	@Test
	void aPayloadThatIsNotAPageIsAMissCountedAsAnError() {
		PageRequest request = PageRequest.of(5, 1);
		redis.set(Instances.entry("vets", request),
				"{\"content\":[],\"pageable\":{\"page\":5,\"size\":1,\"sort\":[]},\"hasNext\":false}"
					.getBytes(StandardCharsets.UTF_8));
		double errors = instances.count(B, "cache.remote.errors", "vets");
		Page<Vet> page = vets(B).findAll(request);
		assertThat(page.getNumber()).isEqualTo(5);
		assertThat(page.getTotalElements()).isEqualTo(Vets.ALL.size());
		assertThat(vets(B).executions("vets:" + request)).isOne();
		assertThat(instances.count(B, "cache.remote.errors", "vets")).isEqualTo(errors + 1);
	}

	@Test
	void aMethodInheritedFromAGenericClassReadsItsTypeBoundByTheBean() {
		double errors = instances.count(B, "cache.remote.errors", "repository");
		Collection<Vet> all = instances.bean(A, VetRepository.class).findAll("all");
		Collection<Vet> read = instances.bean(B, VetRepository.class).findAll("all");
		assertThat(read).isEqualTo(all).allSatisfy((vet) -> assertThat(vet).isInstanceOf(Vet.class));
		assertThat(instances.bean(B, VetRepository.class).loads()).isZero();
		assertThat(instances.count(B, "cache.remote.errors", "repository")).isEqualTo(errors);
	}

	private static Vets vets(int instance) {
		return instances.bean(instance, Vets.class);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		Vets vets() {
			return new Vets();
		}

		@Bean
		VetRepository vetRepository() {
			return new VetRepository();
		}

	}

	/** A specialty of a vet. */
	public static class Specialty {

		private Integer id;

		private String name;

		public Specialty() {
		}

		Specialty(Integer id, String name) {
			this.id = id;
			this.name = name;
		}

		public Integer getId() {
			return this.id;
		}

		public void setId(Integer id) {
			this.id = id;
		}

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

		public boolean isNew() {
			return this.id == null;
		}

		@Override
		public boolean equals(Object other) {
			return other instanceof Specialty that && Objects.equals(this.id, that.id)
					&& Objects.equals(this.name, that.name);
		}

		@Override
		public int hashCode() {
			return Objects.hash(this.id, this.name);
		}

	}

	/** PetClinic's vet: an entity-like class with getter-only {@code isNew()} and a count. */
	public static class Vet {

		private Integer id;

		private String firstName;

		private String lastName;

		private List<Specialty> specialties = new ArrayList<>();

		public Vet() {
		}

		Vet(Integer id, String firstName, String lastName, Specialty... specialties) {
			this.id = id;
			this.firstName = firstName;
			this.lastName = lastName;
			this.specialties = new ArrayList<>(List.of(specialties));
		}

		public Integer getId() {
			return this.id;
		}

		public void setId(Integer id) {
			this.id = id;
		}

		public String getFirstName() {
			return this.firstName;
		}

		public void setFirstName(String firstName) {
			this.firstName = firstName;
		}

		public String getLastName() {
			return this.lastName;
		}

		public void setLastName(String lastName) {
			this.lastName = lastName;
		}

		public List<Specialty> getSpecialties() {
			return this.specialties;
		}

		public void setSpecialties(List<Specialty> specialties) {
			this.specialties = specialties;
		}

		public boolean isNew() {
			return this.id == null;
		}

		public int getNrOfSpecialties() {
			return this.specialties.size();
		}

		@Override
		public boolean equals(Object other) {
			return other instanceof Vet that && Objects.equals(this.id, that.id)
					&& Objects.equals(this.firstName, that.firstName) && Objects.equals(this.lastName, that.lastName)
					&& Objects.equals(this.specialties, that.specialties);
		}

		@Override
		public int hashCode() {
			return Objects.hash(this.id, this.firstName, this.lastName, this.specialties);
		}

		@Override
		public String toString() {
			return "Vet " + this.id + " " + this.lastName;
		}

	}

	/**
	 * A generic implementation, like Spring Data's {@code SimpleJpaRepository}.
	 *
	 * @param <T> the entity type
	 */
	public abstract static class GenericRepository<T> {

		private final AtomicInteger loads = new AtomicInteger();

		@Cached(name = "repository")
		public Collection<T> findAll(String tag) {
			this.loads.incrementAndGet();
			return entities();
		}

		abstract List<T> entities();

		public int loads() {
			return this.loads.get();
		}

	}

	/** A repository of vets that inherits its cached method. */
	public static class VetRepository extends GenericRepository<Vet> {

		@Override
		List<Vet> entities() {
			return Vets.ALL;
		}

	}

	/** The cached methods, counting their executions per cache. */
	public static class Vets {

		static final List<Vet> ALL = List.of(new Vet(1, "James", "Carter", new Specialty(1, "radiology"),
				new Specialty(2, "surgery")), new Vet(2, "Helen", "Leary"), new Vet(3, "Linda", "Douglas"),
				new Vet(4, "Rafael", "Ortega", new Specialty(2, "surgery")));

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		@Cached(name = "vet")
		public Vet vet(int id) {
			executed("vet:" + id);
			return ALL.get(id - 1);
		}

		@Cached(name = "vets")
		public Collection<Vet> findAll() {
			executed("vets:all");
			return ALL;
		}

		@Cached(name = "vets")
		public Page<Vet> findAll(Pageable pageable) {
			executed("vets:" + pageable);
			if (pageable.isUnpaged()) {
				return new PageImpl<>(ALL, pageable, ALL.size());
			}
			int from = (int) Math.min(pageable.getOffset(), ALL.size());
			int to = Math.min(from + pageable.getPageSize(), ALL.size());
			return new PageImpl<>(ALL.subList(from, to), pageable, ALL.size());
		}

		@Cached(name = "slices")
		public Slice<Vet> slice(Pageable pageable) {
			executed("slices:" + pageable);
			int from = (int) Math.min(pageable.getOffset(), ALL.size());
			int to = Math.min(from + pageable.getPageSize(), ALL.size());
			return new SliceImpl<>(ALL.subList(from, to), pageable, to < ALL.size());
		}

		@Cached(name = "sorted")
		public List<Vet> sorted(Sort sort) {
			executed("sorted:" + sort);
			return List.of(ALL.get(3), ALL.get(2), ALL.get(1), ALL.get(0));
		}

		@Cached(name = "people")
		public Vet byId(int id) {
			executed("people:byId:" + id);
			return ALL.get(id - 1);
		}

		@Cached(name = "people")
		public List<Vet> named(String lastName) {
			executed("people:named:" + lastName);
			return withLastName(lastName);
		}

		@Cached(name = "people")
		public Vet firstNamed(String lastName) {
			executed("people:firstNamed:" + lastName);
			return withLastName(lastName).get(0);
		}

		private static List<Vet> withLastName(String lastName) {
			return ALL.stream().filter((vet) -> vet.getLastName().equals(lastName)).toList();
		}

		public int executions(String call) {
			AtomicInteger count = this.executions.get(call);
			return (count != null) ? count.get() : 0;
		}

		private void executed(String call) {
			this.executions.computeIfAbsent(call, (k) -> new AtomicInteger()).incrementAndGet();
		}

	}

}
