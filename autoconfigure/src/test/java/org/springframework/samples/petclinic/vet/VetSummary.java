package org.springframework.samples.petclinic.vet;

/**
 * A vet as a list page shows it, read by one JPQL query.
 * @param id the vet's id
 * @param firstName the first name
 * @param lastName the last name
 * @param nrOfSpecialties how many specialties the vet has
 */
public record VetSummary(Integer id, String firstName, String lastName, Integer nrOfSpecialties) {
}
