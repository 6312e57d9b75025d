/**
 * The {@code cached} actuator endpoint: every {@code @Cached} cache with its effective
 * settings, their sources, its methods and its statistics.
 */
@NullMarked
package dev.cached.actuate.endpoint;

import org.jspecify.annotations.NullMarked;
