package org.springframework.samples.petclinic.vet;

import java.util.Collection;
import java.util.List;

import dev.cached.Cached;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * The vets, as Spring PetClinic reads them: both {@code findAll} methods share one
 * cache (remote when the application sets {@code cached.caches.vets.remote=true}); and a
 * summary of each vet, read by one JPQL query.
 */
public interface VetRepository extends Repository<Vet, Integer> {

	@Transactional(readOnly = true)
	@Cached(name = "vets")
	Collection<Vet> findAll();

	// keyed by its Pageable (the default key), as PetClinic has it: a Pageable has a
	// stable form across instances
	@Transactional(readOnly = true)
	@Cached(name = "vets")
	Page<Vet> findAll(Pageable pageable);

	@Transactional(readOnly = true)
	@Query("select new org.springframework.samples.petclinic.vet.VetSummary(v.id, v.firstName, v.lastName, "
			+ "size(v.specialties)) from Vet v")
	@Cached(name = "vetSummaries")
	List<VetSummary> findSummaries();

}
