package dev.cached.observation;

import java.util.Locale;

import dev.cached.engine.LoadObserver;
import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * The context of a {@code cached.load} observation: one execution of a cached method.
 */
public class CachedLoadContext extends Observation.Context {

	private final String cacheName;

	private final LoadObserver.Trigger trigger;

	/** Set when the execution ends; {@code null} while it runs. */
	private volatile @Nullable Boolean success;

	/**
	 * Create a context.
	 * @param cacheName the cache
	 * @param trigger why the method runs
	 */
	public CachedLoadContext(String cacheName, LoadObserver.Trigger trigger) {
		this.cacheName = cacheName;
		this.trigger = trigger;
	}

	/**
	 * Return the cache name.
	 * @return the cache name
	 */
	public String getCacheName() {
		return this.cacheName;
	}

	/**
	 * Return why the method runs.
	 * @return the trigger
	 */
	public LoadObserver.Trigger getTrigger() {
		return this.trigger;
	}

	/**
	 * Return the trigger as the {@code trigger} key writes it: {@code miss},
	 * {@code takeover}, {@code timeout} or {@code refresh}.
	 * @return the trigger's name
	 */
	public String getTriggerName() {
		return this.trigger.name().toLowerCase(Locale.ROOT);
	}

	/**
	 * Return whether the execution succeeded.
	 * @return {@code true} or {@code false} once it ended, {@code null} while it runs
	 */
	public @Nullable Boolean getSuccess() {
		return this.success;
	}

	void setSuccess(boolean success) {
		this.success = success;
	}

}
