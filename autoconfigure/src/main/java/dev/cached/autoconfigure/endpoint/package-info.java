/**
 * Auto-configuration of the {@code cached} actuator endpoint.
 */
@NullMarked
package dev.cached.autoconfigure.endpoint;

import org.jspecify.annotations.NullMarked;
