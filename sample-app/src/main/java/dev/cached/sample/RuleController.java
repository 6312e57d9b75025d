package dev.cached.sample;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /rules}, {@code GET /rules/{id}}, {@code GET /rules/by-ids?ids=R-001,R-002},
 * {@code GET /rules/{id}/async} and {@code POST /rules/reload}.
 */
@RestController
@RequestMapping("/rules")
public class RuleController {

	private final RuleService ruleService;

	public RuleController(RuleService ruleService) {
		this.ruleService = ruleService;
	}

	@GetMapping
	public List<Rule> allRules() {
		return this.ruleService.getAllRules();
	}

	/**
	 * Several rules at once, by id, in the order asked; unknown ids are left out. The ids
	 * already cached (by this or by {@code GET /rules/{id}}) are not read again.
	 * @param ids the rule ids
	 * @return the rules found, by id
	 */
	@GetMapping("/by-ids")
	public Map<String, Rule> rules(@RequestParam List<String> ids) {
		return this.ruleService.getRules(ids);
	}

	@GetMapping("/{id}")
	public ResponseEntity<?> rule(@PathVariable String id) {
		return found(id, this.ruleService.getRule(id));
	}

	/**
	 * The same rule, answered asynchronously: the request thread is released while the
	 * rule is read, and a cached rule answers at once.
	 * @param id the rule id
	 * @return the future response
	 */
	@GetMapping("/{id}/async")
	public CompletableFuture<ResponseEntity<?>> ruleAsync(@PathVariable String id) {
		return this.ruleService.getRuleAsync(id).thenApply((rule) -> found(id, rule));
	}

	private static ResponseEntity<?> found(String id, @Nullable Rule rule) {
		if (rule == null) {
			ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
					"No rule with id '" + id + "'");
			problem.setInstance(URI.create("/rules/" + id));
			return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem);
		}
		return ResponseEntity.ok(rule);
	}

	@PostMapping("/reload")
	public Map<String, Object> reload() {
		int count = this.ruleService.reload();
		return Map.of("status", "reloaded", "rules", count);
	}

	/**
	 * A broken rule file: the response names the file and the parse error. After a failed
	 * reload, the previously loaded rules stay in service.
	 * @param ex the failure
	 * @return a problem detail
	 */
	@ExceptionHandler(RuleFileException.class)
	public ResponseEntity<ProblemDetail> ruleFileFailed(RuleFileException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, ex.getMessage());
		problem.setTitle("Invalid rule file");
		return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(problem);
	}

}
