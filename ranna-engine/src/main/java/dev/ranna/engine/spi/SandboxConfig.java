package dev.ranna.engine.spi;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Configuration handed to {@link SandboxProvider#create}: ranna's keys ({@code sandbox.memory},
 * {@code sandbox.enablenetworking}, ...) and provider keys under {@code sandbox.<name>.*}, as strings,
 * with typed accessors that parse and validate.
 *
 * <p>Immutable and thread-safe. Accessors throw {@link IllegalArgumentException} naming the key and
 * the value when a value cannot be parsed.
 */
public final class SandboxConfig {

    /** ranna's memory limit per run ({@code 100M}). */
    public static final String MEMORY = "sandbox.memory";
    /** Whether runs get network access ({@code false}). */
    public static final String ENABLE_NETWORKING = "sandbox.enablenetworking";
    /** The OCI runtime for containers, e.g. {@code runsc} (engine default when empty). */
    public static final String RUNTIME = "sandbox.runtime";
    /** Whether to skip image pulls and other preparation at start ({@code false}). */
    public static final String SKIP_STARTUP_PREP = "skipstartupprep";

    private final Map<String, String> properties;
    private final String instanceId;

    private SandboxConfig(Map<String, String> properties, String instanceId) {
        this.properties = Collections.unmodifiableMap(new TreeMap<>(properties));
        this.instanceId = instanceId;
    }

    /** A config with only defaults. */
    public static SandboxConfig defaults() {
        return of(Map.of());
    }

    /** A config with the given properties (keys as in ranna's config, lower-case, dotted). */
    public static SandboxConfig of(Map<String, String> properties) {
        properties.forEach((key, value) -> {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, key);
        });
        return new SandboxConfig(properties, UUID.randomUUID().toString());
    }

    /** This config with one property set. */
    public SandboxConfig with(String key, String value) {
        var copy = new TreeMap<>(properties);
        copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new SandboxConfig(copy, instanceId);
    }

    /**
     * A random id of the engine instance this config belongs to; sandboxes use it to label and later
     * find what they created.
     */
    public String instanceId() {
        return instanceId;
    }

    /** All properties, sorted by key. */
    public Map<String, String> properties() {
        return properties;
    }

    /** The raw value of {@code key}, if set and not blank. */
    public Optional<String> get(String key) {
        String value = properties.get(key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /** A size in ranna's syntax ({@code 100M}, {@code 1G}, {@code 512k}, {@code 1024}), in bytes. */
    public long size(String key, long defaultBytes) {
        return get(key).map(value -> Sizes.parse(key, value)).orElse(defaultBytes);
    }

    /** A boolean ({@code true}/{@code false}, {@code 1}/{@code 0}, {@code yes}/{@code no}). */
    public boolean bool(String key, boolean defaultValue) {
        Optional<String> value = get(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        switch (value.get().toLowerCase(java.util.Locale.ROOT)) {
            case "true":
            case "1":
            case "yes":
            case "on":
                return true;
            case "false":
            case "0":
            case "no":
            case "off":
                return false;
            default:
                throw new IllegalArgumentException(key + ": expected true or false, got '" + value.get() + "'");
        }
    }

    /** An integer. */
    public int integer(String key, int defaultValue) {
        Optional<String> value = get(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected an integer, got '" + value.get() + "'", e);
        }
    }

    /** A duration in whole seconds. */
    public Duration seconds(String key, Duration defaultValue) {
        Optional<String> value = get(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(value.get()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected whole seconds, got '" + value.get() + "'", e);
        }
    }

    /** {@value #MEMORY}: the memory limit of one run in bytes, default 100 MiB. */
    public long memoryBytes() {
        return size(MEMORY, 100L * 1024 * 1024);
    }

    /** {@value #ENABLE_NETWORKING}: whether runs may use the network, default false. */
    public boolean networking() {
        return bool(ENABLE_NETWORKING, false);
    }

    /** {@value #RUNTIME}: the container runtime to use, if one is set. */
    public Optional<String> runtime() {
        return get(RUNTIME);
    }

    /** {@value #SKIP_STARTUP_PREP}: whether to skip preparation (image pulls) at start. */
    public boolean skipStartupPrep() {
        return bool(SKIP_STARTUP_PREP, false);
    }

    @Override
    public String toString() {
        return "SandboxConfig" + properties;
    }
}
