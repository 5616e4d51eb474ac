package dev.ranna.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A spec map: language key to {@link SpecEntry}, in the order of the spec file (ranna's web app takes
 * the first key as its default language). Aliases are kept as entries, unresolved.
 */
public record SpecMap(Map<String, SpecEntry> entries) {

    /** An empty map. */
    public static final SpecMap EMPTY = new SpecMap(Map.of());

    /** Copies {@code entries}, keeping their iteration order. */
    public SpecMap {
        Objects.requireNonNull(entries, "entries");
        var copy = new LinkedHashMap<String, SpecEntry>();
        entries.forEach(
                (key, entry) -> copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(entry, key)));
        entries = Collections.unmodifiableMap(copy);
    }

    /** The entry under {@code key}, unresolved. */
    public Optional<SpecEntry> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }
}
