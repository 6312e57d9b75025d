package dev.cached.sample;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.io.Resource;
import org.springframework.core.io.support.ResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * Reads and parses the rule files: the expensive work that {@code @Cached} protects.
 * Every call really reads every file; {@link #fileReads()} and {@link #loads()} count
 * what happened, so that the demo and the tests can show how often that was. Each load
 * logs one line, {@code Loading 53 rule files from <location>}; the check of a reload
 * logs {@code Checking 53 rule files in <location> for a reload} instead, and is not a
 * load, so the {@code Loading} lines of the log count the loads.
 */
@Component
public class RuleFileLoader {

	private static final Log logger = LogFactory.getLog(RuleFileLoader.class);

	private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

	private final ResourcePatternResolver resources;

	private final JsonMapper jsonMapper;

	private final String location;

	private final AtomicLong loads = new AtomicLong();

	private final AtomicLong fileReads = new AtomicLong();

	/** Set by the demo while it races; called on the thread that loads. */
	private volatile @Nullable LoadTracer tracer;

	public RuleFileLoader(ResourcePatternResolver resources, JsonMapper jsonMapper, RulesProperties properties) {
		this.resources = resources;
		this.jsonMapper = jsonMapper;
		this.location = properties.location();
	}

	/**
	 * Read and parse every {@code *.json} file of the rules folder.
	 * @return the rules, highest priority first
	 * @throws RuleFileException naming the first file that cannot be read or parsed
	 */
	public List<Rule> loadAll() {
		LoadTracer tracer = this.tracer;
		if (tracer != null) {
			tracer.loadStarted();
		}
		try {
			Resource[] files = findFiles();
			this.loads.incrementAndGet();
			logger.info("Loading " + files.length + " rule files from " + this.location);
			return readAll(files);
		}
		finally {
			if (tracer != null) {
				tracer.loadFinished();
			}
		}
	}

	/**
	 * Read and parse every {@code *.json} file of the rules folder to check them before a
	 * reload drops the cached rules. The files are read as by {@link #loadAll()} (and
	 * counted in {@link #fileReads()}), but this is not a load: it is not counted in
	 * {@link #loads()} and logs a line of its own.
	 * @return the rules, highest priority first
	 * @throws RuleFileException naming the first file that cannot be read or parsed
	 */
	public List<Rule> checkAll() {
		Resource[] files = findFiles();
		logger.info("Checking " + files.length + " rule files in " + this.location + " for a reload");
		return readAll(files);
	}

	/**
	 * Read and parse the file of one rule.
	 * @param id the rule id
	 * @return the rule, or {@code null} if there is no file for that id
	 * @throws RuleFileException if the file cannot be read or parsed
	 */
	public @Nullable Rule loadOne(String id) {
		if (!ID.matcher(id).matches()) {
			return null;
		}
		Resource file = this.resources.getResource(this.location + id + ".json");
		return file.exists() ? read(file) : null;
	}

	/**
	 * Return how many times {@link #loadAll()} ran: the number of
	 * {@code Loading ... rule files} lines in the log.
	 * @return the number of full loads
	 */
	public long loads() {
		return this.loads.get();
	}

	/**
	 * Return how many files were read, by every load.
	 * @return the number of file reads
	 */
	public long fileReads() {
		return this.fileReads.get();
	}

	void setTracer(@Nullable LoadTracer tracer) {
		this.tracer = tracer;
	}

	private List<Rule> readAll(Resource[] files) {
		List<Rule> rules = new ArrayList<>(files.length);
		for (Resource file : files) {
			rules.add(read(file));
		}
		rules.sort(Comparator.comparingInt(Rule::priority).reversed().thenComparing(Rule::id));
		return List.copyOf(rules);
	}

	private Resource[] findFiles() {
		try {
			Resource[] files = this.resources.getResources(this.location + "*.json");
			Arrays.sort(files, Comparator.comparing((file) -> Objects.requireNonNullElse(file.getFilename(), "")));
			return files;
		}
		catch (IOException ex) {
			throw new RuleFileException("Cannot list the rule files in " + this.location + ": " + ex.getMessage(), ex);
		}
	}

	private Rule read(Resource file) {
		String name = file.getFilename();
		byte[] content;
		try {
			content = file.getContentAsByteArray();
		}
		catch (IOException ex) {
			throw new RuleFileException("Cannot read rule file '" + name + "': " + ex.getMessage(), ex);
		}
		this.fileReads.incrementAndGet();
		Rule rule;
		try {
			rule = this.jsonMapper.readValue(content, Rule.class);
		}
		catch (JacksonException ex) {
			throw new RuleFileException("Rule file '" + name + "' in " + this.location + " is not a valid rule: "
					+ ex.getOriginalMessage() + where(ex.getLocation()), ex);
		}
		check(rule, name);
		return rule;
	}

	private static String where(@Nullable TokenStreamLocation location) {
		return (location != null && location.getLineNr() > 0)
				? " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")" : "";
	}

	private static void check(@Nullable Rule rule, @Nullable String file) {
		String problem = (rule == null) ? "it is empty"
				: (rule.id() == null || !ID.matcher(rule.id()).matches()) ? "its id is missing or invalid"
						: (rule.name() == null) ? "its name is missing"
								: (rule.conditions() == null || rule.conditions().isEmpty()) ? "it has no conditions"
										: (rule.action() == null || rule.action().type() == null) ? "it has no action"
												: null;
		if (problem != null) {
			throw new RuleFileException("Rule file '" + file + "' is not a valid rule: " + problem);
		}
	}

	/**
	 * Observes loads, for the demo's timeline.
	 */
	interface LoadTracer {

		void loadStarted();

		void loadFinished();

	}

}
