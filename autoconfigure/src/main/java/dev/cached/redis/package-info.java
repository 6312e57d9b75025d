/**
 * The tier that several instances of an application share, on Redis through Spring Data
 * Redis and Lettuce: invalidations that reach every instance, a shared store per remote
 * cache and a cluster-wide lease per key being loaded. It uses the engine through
 * {@link dev.cached.engine.RemoteTier} and {@link dev.cached.engine.RemoteCache}; the
 * engine never imports it. Internal: not a stable API.
 */
@NullMarked
package dev.cached.redis;

import org.jspecify.annotations.NullMarked;
