/**
 * Auto-configuration of refresh-ahead: the executor that runs background reloads.
 */
@NullMarked
package dev.cached.autoconfigure.refresh;

import org.jspecify.annotations.NullMarked;
