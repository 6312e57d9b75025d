package dev.cached.actuate.endpoint;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.cached.engine.CacheRegistry;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * {@link EndpointWebExtension @EndpointWebExtension} for the {@link CachedEndpoint}: a
 * request for a cache that does not exist gets a 404 with a JSON body that says so.
 */
@EndpointWebExtension(endpoint = CachedEndpoint.class)
public class CachedEndpointWebExtension {

	private final CachedEndpoint delegate;

	private final CacheRegistry registry;

	/**
	 * Create the extension.
	 * @param delegate the endpoint
	 * @param registry the caches, for the names listed in a 404
	 */
	public CachedEndpointWebExtension(CachedEndpoint delegate, CacheRegistry registry) {
		this.delegate = delegate;
		this.registry = registry;
	}

	/**
	 * Describe one cache: 200 with its description, or 404.
	 * @param name the cache name
	 * @return the response
	 */
	@ReadOperation
	public WebEndpointResponse<Object> cache(@Selector String name) {
		CachedEndpoint.CacheDescriptor descriptor = this.delegate.cache(name);
		return (descriptor != null) ? new WebEndpointResponse<>(descriptor) : notFound(name);
	}

	/**
	 * Clear one cache: 204 when cleared, or 404.
	 * @param name the cache name
	 * @return the response
	 */
	@DeleteOperation
	public WebEndpointResponse<Object> clearCache(@Selector String name) {
		return this.delegate.clearCache(name) ? new WebEndpointResponse<>(WebEndpointResponse.STATUS_NO_CONTENT)
				: notFound(name);
	}

	private WebEndpointResponse<Object> notFound(String name) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("status", WebEndpointResponse.STATUS_NOT_FOUND);
		body.put("error", "Not Found");
		body.put("message", "No @Cached cache named '" + name + "'");
		body.put("caches", this.registry.getCacheNames());
		return new WebEndpointResponse<>(OperationResponseBody.of(body), WebEndpointResponse.STATUS_NOT_FOUND);
	}

}
