package dev.ranna.engine.spi;

import dev.ranna.engine.spi.config.ConfigType;

/**
 * Sizes in ranna's syntax: a number with an optional unit {@code k}, {@code M}, {@code G} (powers of 1024).
 * The grammar is {@link ConfigType#SIZE}'s; this is its form for callers that have a key name and text.
 */
public final class Sizes {
    private Sizes() {}

    /**
     * Parses {@code value} ({@code 100M}, {@code 1G}, {@code 512k}, {@code 1024}, {@code 2MB}, {@code 1Mi}).
     *
     * @param key the configuration key, named in the error message
     * @throws IllegalArgumentException naming {@code key} and {@code value} if it is not a size
     */
    public static long parse(String key, String value) {
        try {
            return ConfigType.SIZE.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage() + ", got '" + value + "'", e);
        }
    }
}
