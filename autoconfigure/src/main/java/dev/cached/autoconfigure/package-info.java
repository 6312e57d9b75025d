/**
 * Spring Boot auto-configuration of cached: properties, the engine beans and the advice.
 */
@NullMarked
package dev.cached.autoconfigure;

import org.jspecify.annotations.NullMarked;
