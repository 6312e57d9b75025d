package dev.cached.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import dev.cached.CacheInvalidate;
import dev.cached.key.CacheKey;
import dev.cached.testing.Awaits;
import dev.cached.testing.redis.RedisServer;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceContext;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.annotation.Bean;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.samples.petclinic.vet.Specialty;
import org.springframework.samples.petclinic.vet.Vet;
import org.springframework.samples.petclinic.vet.VetRepository;
import org.springframework.samples.petclinic.vet.VetSummary;
import org.springframework.transaction.annotation.Transactional;

import static dev.cached.testing.Awaits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Two instances of an application shaped like Spring PetClinic on one Redis: a real
 * Spring Data JPA repository over H2 (one database that both instances share), whose
 * {@code Vet} entities have an eagerly fetched {@code @ManyToMany} set of specialties and
 * getter-only properties, and whose two {@code findAll} methods share one remote cache.
 * The database's work is counted by Hibernate's statistics on each instance.
 */
class PetClinicJpaInstancesTests {

	private static final int A = 0;

	private static final int B = 1;

	private static final int CALLERS = 32;

	private static RedisServer redis;

	private static Instances instances;

	private ExecutorService callers;

	@BeforeAll
	static void start() {
		redis = RedisServer.start();
		String database = "jdbc:h2:mem:petclinic-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
		// no connection pool on the test classpath: a plain DataSource, a connection per use
		instances = Instances.start(redis, Application.class, 2, "--spring.datasource.url=" + database,
				"--spring.datasource.type=org.springframework.jdbc.datasource.SimpleDriverDataSource",
				// the test classpath's application.properties leaves JPA out of other tests
				"--spring.autoconfigure.exclude=", "--spring.jpa.hibernate.ddl-auto=update",
				"--spring.jpa.properties.hibernate.generate_statistics=true", "--cached.caches.vets.remote=true",
				"--cached.caches.vets.ttl=10m", "--cached.caches.vetSummaries.remote=true",
				"--cached.caches.vetSummaries.ttl=10m");
		VetWriter writer = instances.bean(A, VetWriter.class);
		writer.addVet("James", "Carter");
		writer.addVet("Helen", "Leary", "radiology");
		writer.addVet("Linda", "Douglas", "dentistry", "surgery");
	}

	@AfterAll
	static void stop() {
		if (instances != null) {
			instances.close();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@BeforeEach
	void coldCache() {
		for (String cache : List.of("vets", "vetSummaries")) {
			instances.cache(A, cache).invalidateAll();
			instances.awaitDelivered(A, cache);
		}
		this.callers = Executors.newFixedThreadPool(2 * CALLERS);
	}

	@AfterEach
	void stopCallers() {
		this.callers.shutdownNow();
	}

	@Test
	void coldSummariesAreSelectedOnceForAllCallersOfBothInstances() throws Exception {
		long before = queries(A) + queries(B);
		List<List<VetSummary>> results = callConcurrently(VetRepository::findSummaries);
		assertThat(queries(A) + queries(B) - before).as("SQL queries of findSummaries() on both instances")
			.isEqualTo(1);
		assertThat(results).hasSize(2 * CALLERS)
			.allSatisfy((vets) -> assertThat(vets).extracting(VetSummary::lastName, VetSummary::nrOfSpecialties)
				.containsExactlyInAnyOrder(tuple("Carter", 0), tuple("Leary", 1), tuple("Douglas", 2)));
	}

	@Test
	void summariesComeBackFromRedisEqualOnTheOtherInstance() {
		List<VetSummary> loaded = repository(A).findSummaries();
		long before = queries(B);
		// B's local store is cold; Redis holds A's load
		assertThat(repository(B).findSummaries()).isEqualTo(loaded);
		assertThat(queries(B)).as("B reads Redis, not the database").isEqualTo(before);
	}

	@Test
	void invalidationOnOneInstanceReachesTheOther() {
		assertThat(repository(B).findSummaries()).hasSize(3);
		assertThat(repository(A).findSummaries()).hasSize(3);
		assertThat(repository(B).findAll()).hasSize(3);
		long before = queries(A) + queries(B);
		assertThat(repository(B).findSummaries()).hasSize(3);
		assertThat(repository(B).findAll()).hasSize(3);
		assertThat(queries(A) + queries(B)).as("hits on B").isEqualTo(before);

		instances.bean(A, VetWriter.class).addVet("Rafael", "Ortega", "surgery");
		try {
			await().until(() -> !instances.cache(B, "vetSummaries").contains(CacheKey.EMPTY)
					&& !instances.cache(B, "vets").contains(CacheKey.EMPTY));
			assertThat(repository(B).findSummaries()).extracting(VetSummary::lastName)
				.containsExactlyInAnyOrder("Carter", "Leary", "Douglas", "Ortega");
			assertThat(repository(B).findAll()).extracting(Vet::getLastName)
				.containsExactlyInAnyOrder("Carter", "Leary", "Douglas", "Ortega");
		}
		finally {
			instances.bean(A, VetWriter.class).removeVet("Ortega");
		}
	}

	// The entity itself through Redis: Vet and Specialty have getter-only properties
	// (isNew(), getNrOfSpecialties(), getSpecialties() without a setter), which today make
	// the other instance's read of the entry fail (UnrecognizedPropertyException), so it
	// loads again. Enable once values ignore getter-only properties on reading.
	@Test
	void coldCollectionOfVetsIsSelectedOnceForAllCallersOfBothInstances() throws Exception {
		long before = queries(A) + queries(B);
		List<Collection<Vet>> results = callConcurrently(VetRepository::findAll);
		assertThat(queries(A) + queries(B) - before).as("SQL queries of findAll() on both instances").isEqualTo(1);
		assertThat(results).hasSize(2 * CALLERS)
			.allSatisfy((vets) -> assertThat(vets).extracting(Vet::getLastName)
				.containsExactlyInAnyOrder("Carter", "Leary", "Douglas"));
	}

	@Test
	void vetsComeBackFromRedisWithTheirSpecialtiesOnTheOtherInstance() {
		Collection<Vet> loaded = repository(A).findAll();
		long before = queries(B);
		// B's local store is cold; Redis holds A's load
		Collection<Vet> read = repository(B).findAll();
		assertThat(queries(B)).as("B reads Redis, not the database").isEqualTo(before);
		assertThat(describe(read)).containsExactlyInAnyOrderElementsOf(describe(loaded));
	}

	// Page<Vet> read back as a PageImpl, by this method's own type on the cache it shares
	// with findAll(), under the Pageable's stable key form
	@Test
	void coldPageOfVetsIsSelectedOnceForAllCallersOfBothInstances() throws Exception {
		PageRequest pageable = PageRequest.of(0, 10);
		long before = queries(A) + queries(B);
		// the first page is not full: Spring Data runs no count query
		List<Page<Vet>> results = callConcurrently((repository) -> repository.findAll(pageable));
		assertThat(queries(A) + queries(B) - before).as("SQL queries of findAll(Pageable) on both instances")
			.isEqualTo(1);
		assertThat(results).hasSize(2 * CALLERS).allSatisfy((page) -> {
			assertThat(page.getTotalElements()).isEqualTo(3);
			assertThat(page.getPageable()).isEqualTo(pageable);
			assertThat(page.getContent()).extracting(Vet::getLastName)
				.containsExactlyInAnyOrder("Carter", "Leary", "Douglas");
		});
		// and the collection in the same cache is still read as a collection
		assertThat(repository(B).findAll()).hasSize(3);
	}

	private <T> List<T> callConcurrently(Function<VetRepository, T> call) throws Exception {
		CountDownLatch go = new CountDownLatch(1);
		List<Future<T>> futures = new ArrayList<>();
		for (int instance : new int[] { A, B }) {
			VetRepository repository = repository(instance);
			for (int i = 0; i < CALLERS; i++) {
				futures.add(this.callers.submit(() -> {
					go.await();
					return call.apply(repository);
				}));
			}
		}
		go.countDown();
		List<T> results = new ArrayList<>();
		for (Future<T> future : futures) {
			results.add(future.get(Awaits.TIMEOUT.toSeconds() * 3, TimeUnit.SECONDS));
		}
		return results;
	}

	private static List<String> describe(Collection<Vet> vets) {
		return vets.stream()
			.map((vet) -> vet.getId() + " " + vet.getFirstName() + " " + vet.getLastName() + " "
					+ vet.getSpecialties().stream().map(Specialty::getName).toList() + " " + vet.getNrOfSpecialties()
					+ " " + vet.isNew())
			.toList();
	}

	private static VetRepository repository(int instance) {
		return instances.bean(instance, VetRepository.class);
	}

	/** The SQL queries run by one instance's Hibernate so far. */
	private static long queries(int instance) {
		Statistics statistics = instances.bean(instance, EntityManagerFactory.class)
			.unwrap(SessionFactory.class)
			.getStatistics();
		return statistics.getQueryExecutionCount();
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = Vet.class)
	@EnableJpaRepositories(basePackageClasses = Vet.class)
	static class Application {

		@Bean
		VetWriter vetWriter() {
			return new VetWriter();
		}

	}

	/** Writes vets, invalidating the vets of every instance. */
	public static class VetWriter {

		@PersistenceContext
		private EntityManager entityManager;

		@Transactional
		@CacheInvalidate(name = "vets", allEntries = true)
		@CacheInvalidate(name = "vetSummaries", allEntries = true)
		public void addVet(String firstName, String lastName, String... specialties) {
			Vet vet = new Vet();
			vet.setFirstName(firstName);
			vet.setLastName(lastName);
			for (String name : specialties) {
				List<Specialty> found = this.entityManager
					.createQuery("select s from Specialty s where s.name = :name", Specialty.class)
					.setParameter("name", name)
					.getResultList();
				Specialty specialty;
				if (found.isEmpty()) {
					specialty = new Specialty();
					specialty.setName(name);
					this.entityManager.persist(specialty);
				}
				else {
					specialty = found.get(0);
				}
				vet.addSpecialty(specialty);
			}
			this.entityManager.persist(vet);
		}

		@Transactional
		@CacheInvalidate(name = "vets", allEntries = true)
		@CacheInvalidate(name = "vetSummaries", allEntries = true)
		public void removeVet(String lastName) {
			this.entityManager.createQuery("select v from Vet v where v.lastName = :lastName", Vet.class)
				.setParameter("lastName", lastName)
				.getResultList()
				.forEach(this.entityManager::remove);
		}

	}

}
