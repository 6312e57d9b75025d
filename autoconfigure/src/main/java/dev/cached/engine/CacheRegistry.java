package dev.cached.engine;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

import com.github.benmanes.caffeine.cache.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * The caches by name. A cache is created when the first method that uses it registers,
 * with settings resolved from the per-cache spec, that method's annotation and the
 * defaults.
 */
public final class CacheRegistry {

	private final Function<String, CacheSpec> cacheSpecs;

	private final CacheSpec defaults;

	private final Ticker ticker;

	private final Executor executor;

	private final Refresher.Factory refreshers;

	private final Map<String, Entry> caches = new ConcurrentHashMap<>();

	private final List<Consumer<CachedCache>> listeners = new CopyOnWriteArrayList<>();

	private volatile WriteRepeater writeRepeater = WriteRepeater.NONE;

	private volatile LoadObserver loadObserver = LoadObserver.NONE;

	private volatile @Nullable RemoteTier remoteTier;

	/**
	 * Create a registry with the system ticker and Caffeine's default executor.
	 * @param cacheSpecs what {@code cached.caches.<name>} sets for each name
	 * ({@link CacheSpec#NONE} when nothing)
	 * @param defaults what {@code cached.defaults} sets
	 */
	public CacheRegistry(Function<String, CacheSpec> cacheSpecs, CacheSpec defaults) {
		this(cacheSpecs, defaults, Ticker.systemTicker(), ForkJoinPool.commonPool());
	}

	/**
	 * Create a registry.
	 * @param cacheSpecs what {@code cached.caches.<name>} sets for each name
	 * @param defaults what {@code cached.defaults} sets
	 * @param ticker the time source for expiry
	 * @param executor the executor for Caffeine's maintenance work
	 */
	public CacheRegistry(Function<String, CacheSpec> cacheSpecs, CacheSpec defaults, Ticker ticker,
			Executor executor) {
		this(cacheSpecs, defaults, ticker, executor, Refresher.Factory.NONE);
	}

	/**
	 * Create a registry whose caches may refresh ahead.
	 * @param cacheSpecs what {@code cached.caches.<name>} sets for each name
	 * @param defaults what {@code cached.defaults} sets
	 * @param ticker the time source for expiry
	 * @param executor the executor for Caffeine's maintenance work
	 * @param refreshers creates the refresher of each cache that sets
	 * {@code refresh-after} or {@code early-refresh-beta}
	 */
	public CacheRegistry(Function<String, CacheSpec> cacheSpecs, CacheSpec defaults, Ticker ticker,
			Executor executor, Refresher.Factory refreshers) {
		this.cacheSpecs = cacheSpecs;
		this.defaults = defaults;
		this.ticker = ticker;
		this.executor = executor;
		this.refreshers = refreshers;
	}

	/**
	 * Register a method that uses cache {@code name}, creating the cache on first use.
	 * @param name the cache name
	 * @param method the method
	 * @param defaultName whether {@code name} was derived from the method rather than
	 * declared
	 * @param annotationTtl the ttl the method's annotation declares, or {@code null}
	 * @return the cache
	 * @throws IllegalStateException if another method resolves to the same default name,
	 * or declares a different ttl for the same cache (unless {@code cached.caches.<name>.ttl}
	 * decides the ttl anyway)
	 * @throws IllegalArgumentException if the cache's settings are inconsistent (e.g.
	 * {@code refresh-after} not below the ttl)
	 */
	public CachedCache register(String name, Method method, boolean defaultName, @Nullable Duration annotationTtl) {
		String description = describe(method);
		Entry created = null;
		Entry entry = this.caches.get(name);
		if (entry == null) {
			CacheSettings settings = CacheSettings.resolve(name, specFor(name), annotationTtl, this.defaults);
			Refresher refresher = null;
			if (settings.isRefreshing()) {
				refresher = this.refreshers.create(name, settings);
				if (refresher == null) {
					throw new IllegalArgumentException("uses cache '" + name
							+ "', which refreshes ahead (refresh-after or early-refresh-beta), but the cache registry was "
							+ "created without a Refresher.Factory that can refresh it");
				}
			}
			CachedCache cache = new CachedCache(name, settings, this.ticker, this.executor, refresher);
			cache.links.setWriteRepeater(this.writeRepeater);
			cache.links.setLoadObserver(this.loadObserver);
			Entry candidate = new Entry(cache, method, annotationTtl);
			entry = this.caches.putIfAbsent(name, candidate);
			if (entry == null) {
				entry = candidate;
				created = candidate;
			}
		}
		if (defaultName) {
			Method owner = entry.defaultNameOwner.compareAndExchange(null, method);
			if (owner != null && !owner.equals(method)) {
				throw new IllegalStateException("Methods '" + describe(owner) + "' and '" + description
						+ "' both resolve to the default cache name '" + name
						+ "'; give one of them @Cached(name = \"...\")");
			}
		}
		if (created == null && !entry.firstMethod.equals(method)
				&& !Objects.equals(entry.annotationTtl, annotationTtl)
				&& entry.cache.getSettings().ttl().source() != SettingSource.CACHE) {
			String property = (name.indexOf('.') >= 0) ? "cached.caches.[" + name + "].ttl"
					: "cached.caches." + name + ".ttl";
			throw new IllegalStateException("Methods '" + describe(entry.firstMethod) + "' (ttl = \""
					+ text(entry.annotationTtl) + "\") and '" + description + "' (ttl = \"" + text(annotationTtl)
					+ "\") share cache '" + name + "' but declare different ttls; declare the same ttl on both "
					+ "or set " + property);
		}
		entry.cache.addMethod(description);
		RemoteTier tier = this.remoteTier;
		if (tier != null) {
			if (created != null) {
				created.cache.links.setRemote(tier.attach(created.cache, method));
			}
		}
		if (created != null) {
			for (Consumer<CachedCache> listener : this.listeners) {
				listener.accept(created.cache);
			}
		}
		return entry.cache;
	}

	/**
	 * Set what repeats the writes (invalidations and puts) of every cache when the
	 * caller's unit of work ends, e.g. a transaction-aware one. Set it before methods
	 * register; caches that exist already are switched over too.
	 * @param writeRepeater the repeater ({@link WriteRepeater#NONE} by default)
	 */
	public void setWriteRepeater(WriteRepeater writeRepeater) {
		this.writeRepeater = writeRepeater;
		for (Entry entry : this.caches.values()) {
			entry.cache.links.setWriteRepeater(writeRepeater);
		}
	}

	/**
	 * Set what is told about every execution of a method and every caller that waits for
	 * one, in every cache; caches that exist already are switched over too.
	 * @param loadObserver the observer ({@link LoadObserver#NONE} by default)
	 */
	public void setLoadObserver(LoadObserver loadObserver) {
		this.loadObserver = loadObserver;
		for (Entry entry : this.caches.values()) {
			entry.cache.links.setLoadObserver(loadObserver);
		}
	}

	/**
	 * Attach every cache, those registered so far and those to come, to a tier shared by
	 * several instances of the application.
	 * @param remoteTier the tier
	 */
	public void setRemoteTier(RemoteTier remoteTier) {
		this.remoteTier = remoteTier;
		for (Entry entry : this.caches.values()) {
			entry.cache.links.setRemote(remoteTier.attach(entry.cache, entry.firstMethod));
		}
	}

	/**
	 * Return the tier shared by several instances, if one is attached.
	 * @return the tier, or {@code null}
	 */
	public @Nullable RemoteTier getRemoteTier() {
		return this.remoteTier;
	}

	private CacheSpec specFor(String name) {
		CacheSpec spec = this.cacheSpecs.apply(name);
		return (spec != null) ? spec : CacheSpec.NONE;
	}

	private static String text(@Nullable Duration ttl) {
		return (ttl != null) ? Durations.format(ttl) : "";
	}

	/**
	 * Describe a method the way the actuator lists it, e.g.
	 * {@code com.example.RuleService.getRule(java.lang.String)}.
	 * @param method the method
	 * @return the description
	 */
	public static String describe(Method method) {
		StringBuilder result = new StringBuilder(method.getDeclaringClass().getName()).append('.')
			.append(method.getName())
			.append('(');
		Class<?>[] types = method.getParameterTypes();
		for (int i = 0; i < types.length; i++) {
			result.append((i > 0) ? "," : "").append(types[i].getTypeName());
		}
		return result.append(')').toString();
	}

	/**
	 * Return the cache of that name.
	 * @param name the cache name
	 * @return the cache, or {@code null} if no method uses it
	 */
	public @Nullable CachedCache getCache(String name) {
		Entry entry = this.caches.get(name);
		return (entry != null) ? entry.cache : null;
	}

	/**
	 * Return every cache, sorted by name.
	 * @return the caches
	 */
	public List<CachedCache> getCaches() {
		List<CachedCache> result = new ArrayList<>();
		for (Entry entry : this.caches.values()) {
			result.add(entry.cache);
		}
		result.sort((a, b) -> a.getName().compareTo(b.getName()));
		return result;
	}

	/**
	 * Return the names of every cache.
	 * @return the names
	 */
	public Collection<String> getCacheNames() {
		return getCaches().stream().map(CachedCache::getName).toList();
	}

	/**
	 * Call {@code listener} for every cache that exists now and every cache created later.
	 * @param listener the listener
	 */
	public void onCache(Consumer<CachedCache> listener) {
		// a cache created while this runs may be seen both ways: tell the listener once
		Set<CachedCache> told = ConcurrentHashMap.newKeySet();
		Consumer<CachedCache> once = (cache) -> {
			if (told.add(cache)) {
				listener.accept(cache);
			}
		};
		this.listeners.add(once);
		getCaches().forEach(once);
	}

	private static final class Entry {

		final CachedCache cache;

		final Method firstMethod;

		/** The method whose default name this is, if any; set once. */
		final AtomicReference<@Nullable Method> defaultNameOwner = new AtomicReference<>();

		final @Nullable Duration annotationTtl;

		Entry(CachedCache cache, Method firstMethod, @Nullable Duration annotationTtl) {
			this.cache = cache;
			this.firstMethod = firstMethod;
			this.annotationTtl = annotationTtl;
		}

	}

}
