/**
 * Auto-configuration of the Redis tier ({@code cached.redis.*}).
 */
@NullMarked
package dev.cached.autoconfigure.redis;

import org.jspecify.annotations.NullMarked;
