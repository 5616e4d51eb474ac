package dev.ranna.engine.spi.config;

import java.util.Optional;

/**
 * Configured values read through their {@link ConfigKey}s: the one way the server, the engine and the
 * sandboxes read configuration, whatever it came from (flags, environment, a file, a map).
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface ConfigValues {

    /**
     * The value of {@code key} if set (not blank), parsed.
     *
     * @throws IllegalArgumentException naming the key and the value if it does not parse
     */
    <T> Optional<T> find(ConfigKey<T> key);

    /**
     * The value of {@code key}: as set, else its default.
     *
     * @throws IllegalArgumentException naming the key and the value if it does not parse
     * @throws IllegalStateException if it is not set and has no default (read it with {@link #find})
     */
    default <T> T get(ConfigKey<T> key) {
        return find(key)
                .or(key::parsedDefault)
                .orElseThrow(() -> new IllegalStateException(key.name() + " has no default; read it with find()"));
    }
}
