package dev.cached.sample;

/**
 * What the many-instances demo counted, and how it prints.
 *
 * @param redis where Redis is, e.g. {@code localhost:6379}
 * @param keyPrefix the prefix of the demo's Redis keys and channel
 * @param calls the number of concurrent calls on each instance
 * @param first the race as instance 1 saw it
 * @param second the race as instance 2 saw it
 * @param invalidation the clear on instance 1 and what instance 2 made of it
 */
public record ManyInstancesReport(String redis, String keyPrefix, int calls, Run first, Run second,
		Invalidation invalidation) {

	/**
	 * Whether the rules were loaded once in total for every concurrent call on both
	 * instances.
	 * @return whether the stampede was prevented across the instances
	 */
	public boolean singleFlight() {
		return this.first.loads() + this.second.loads() == 1;
	}

	/**
	 * Whether the demo showed what it promises: one load in total, the clear on instance 1
	 * reached instance 2, and after it one instance loaded while the other read the new
	 * value from Redis.
	 * @return whether every check held
	 */
	public boolean ok() {
		return singleFlight() && this.invalidation.reached() && this.invalidation.secondLoads() == 1
				&& this.invalidation.firstLoads() == 0;
	}

	/**
	 * Render the report.
	 * @return the text
	 */
	public String format() {
		StringBuilder out = new StringBuilder();
		out.append(String.format("%nMany-instances demo: 2 instances of the sample app on one Redis (%s, keys under %s).%n",
				this.redis, this.keyPrefix));
		out.append(String.format("%d concurrent calls of RuleService.getAllRules() on each instance, %d in total, on a "
				+ "cold cache,%nreleased together by a barrier. RuleService.getAllRules is a remote cache.%n%n",
				this.calls, 2 * this.calls));
		out.append(String.format("%-22s %12s %12s %12s%n", "", "instance 1", "instance 2", "total"));
		row(out, "loads executed", this.first.loads(), this.second.loads());
		row(out, "file reads", this.first.fileReads(), this.second.fileReads());
		out.append(String.format("%-22s %12s %12s %12s%n", "hits / misses",
				this.first.hits() + " / " + this.first.misses(), this.second.hits() + " / " + this.second.misses(),
				(this.first.hits() + this.second.hits()) + " / " + (this.first.misses() + this.second.misses())));
		row(out, "coalesced", this.first.coalesced(), this.second.coalesced());
		out.append(String.format("%-22s %12s %12s %12s%n", "Redis hits / misses",
				this.first.remoteHits() + " / " + this.first.remoteMisses(),
				this.second.remoteHits() + " / " + this.second.remoteMisses(),
				(this.first.remoteHits() + this.second.remoteHits()) + " / "
						+ (this.first.remoteMisses() + this.second.remoteMisses())));
		row(out, "Redis writes", this.first.remoteWrites(), this.second.remoteWrites());
		row(out, "Redis errors", this.first.remoteErrors(), this.second.remoteErrors());
		out.append(String.format("%-22s %12s %12s%n", "wall time", millis(this.first.wallNanos()) + " ms",
				millis(this.second.wallNanos()) + " ms"));
		out.append('\n');
		if (singleFlight()) {
			Run loader = (this.first.loads() == 1) ? this.first : this.second;
			Run other = (loader == this.first) ? this.second : this.first;
			out.append(String.format("Instance %d took the key's lease in Redis and loaded; the first caller on instance "
					+ "%d waited%nfor its value through Redis, and every other caller joined a load on its own "
					+ "instance.%n", number(loader), number(other)));
		}
		out.append(String.format("%nInvalidation: instance 1 clears RuleService.getAllRules (as POST /rules/reload or%n"
				+ "DELETE /actuator/cached/RuleService.getAllRules do there).%n"));
		if (this.invalidation.reached()) {
			out.append(String.format("  instance 2 dropped its local copy %s ms after the clear began on instance 1%n",
					millis(this.invalidation.propagationNanos())));
		}
		else {
			out.append(String.format("  instance 2 still held its local copy %s ms after the clear began%n",
					millis(this.invalidation.propagationNanos())));
		}
		out.append(String.format("  instance 2 calls getAllRules(): %d load%s (the Redis entry was deleted too)%n",
				this.invalidation.secondLoads(), (this.invalidation.secondLoads() == 1) ? "" : "s"));
		out.append(String.format("  instance 1 calls getAllRules(): %d load%s, the rules instance 2 loaded, read from "
				+ "Redis%n", this.invalidation.firstLoads(), (this.invalidation.firstLoads() == 1) ? "" : "s"));
		out.append('\n');
		if (ok()) {
			out.append(String.format("OK: the rules were loaded once for %d concurrent calls on 2 instances, and the "
					+ "clear on%ninstance 1 reached instance 2.%n", 2 * this.calls));
		}
		else if (!singleFlight()) {
			out.append(String.format("FAILED: the rules were loaded %d times across the instances, expected once.%n",
					this.first.loads() + this.second.loads()));
		}
		else {
			out.append(String.format("FAILED: the clear on instance 1 did not work as described on instance 2.%n"));
		}
		return out.toString();
	}

	private int number(Run run) {
		return (run == this.first) ? 1 : 2;
	}

	private static void row(StringBuilder out, String label, long first, long second) {
		out.append(String.format("%-22s %12d %12d %12d%n", label, first, second, first + second));
	}

	private static String millis(long nanos) {
		return String.format("%.1f", nanos / 1_000_000.0);
	}

	/**
	 * The counts of one instance in the race.
	 *
	 * @param loads executions of the full load
	 * @param fileReads rule files read
	 * @param hits calls answered without running the load (from the local store, by
	 * joining a load, or from Redis)
	 * @param misses calls that ran the load
	 * @param coalesced calls that joined a load running on this instance
	 * @param remoteHits local misses that Redis answered (possibly after waiting for the
	 * other instance's load)
	 * @param remoteMisses local misses that Redis did not answer: this instance loaded
	 * @param remoteWrites values this instance wrote to Redis
	 * @param remoteErrors Redis calls that failed or timed out
	 * @param wallNanos from the first arrival on either instance to the last answer on this
	 * one
	 */
	public record Run(long loads, long fileReads, long hits, long misses, long coalesced, long remoteHits,
			long remoteMisses, long remoteWrites, long remoteErrors, long wallNanos) {
	}

	/**
	 * The clear on instance 1, seen from instance 2.
	 *
	 * @param reached whether instance 2 dropped its local copy
	 * @param propagationNanos from the start of the clear on instance 1 until instance 2
	 * had dropped its copy (or gave up waiting)
	 * @param secondLoads loads when instance 2 then called {@code getAllRules()}
	 * @param firstLoads loads when instance 1 called it after that
	 */
	public record Invalidation(boolean reached, long propagationNanos, long secondLoads, long firstLoads) {
	}

}
