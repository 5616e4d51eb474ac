package dev.ranna.engine.spi;

import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigType;
import dev.ranna.engine.spi.config.ConfigValues;
import dev.ranna.engine.spi.config.InvalidValueException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Configuration handed to {@link SandboxProvider#create}: the keys every sandbox shares ({@link Keys}:
 * {@code sandbox.memory}, {@code sandbox.enablenetworking}, ...) and provider keys under {@code
 * sandbox.<name>.*}, as text, read with {@link #get(ConfigKey)} and {@link #find(ConfigKey)} in the one
 * grammar of {@link dev.ranna.engine.spi.config} (a blank value is not set).
 *
 * <p>Immutable and thread-safe. Typed reads throw {@link IllegalArgumentException} (an {@link
 * dev.ranna.engine.spi.config.InvalidValueException}) naming the key and the value when a value does not parse.
 */
public final class SandboxConfig implements ConfigValues {

    /** ranna's memory limit per run ({@code 100M}). */
    public static final String MEMORY = "sandbox.memory";
    /** The compile stage's memory limit per run ({@code 512M}). */
    public static final String COMPILE_MEMORY = "sandbox.compile.memory";
    /** Whether runs get network access ({@code false}). */
    public static final String ENABLE_NETWORKING = "sandbox.enablenetworking";
    /** The OCI runtime for containers, e.g. {@code runsc} (engine default when empty). */
    public static final String RUNTIME = "sandbox.runtime";
    /** Whether to skip image pulls and other preparation at start ({@code false}). */
    public static final String SKIP_STARTUP_PREP = "skipstartupprep";

    /** The keys every sandbox shares; each provider adds its own ({@link SandboxProvider#configKeys()}). */
    public static final class Keys {
        private Keys() {}

        /** {@value SandboxConfig#MEMORY}: memory limit of one run. */
        public static final ConfigKey<Long> MEMORY = ConfigKey.builder(SandboxConfig.MEMORY, ConfigType.POSITIVE_SIZE)
                .defaultValue("100M")
                .description("memory limit of one run (size)")
                .ranna()
                .build();

        /** {@value SandboxConfig#COMPILE_MEMORY}: memory limit of one run's compile stage. */
        public static final ConfigKey<Long> COMPILE_MEMORY = ConfigKey.builder(
                        SandboxConfig.COMPILE_MEMORY, ConfigType.POSITIVE_SIZE)
                .defaultValue("512M")
                .description("memory limit of one run's compile stage, for specs with a compile command (size)")
                .build();

        /** {@value SandboxConfig#ENABLE_NETWORKING}: whether programs get network access. */
        public static final ConfigKey<Boolean> ENABLE_NETWORKING = ConfigKey.builder(
                        SandboxConfig.ENABLE_NETWORKING, ConfigType.BOOLEAN)
                .defaultValue("false")
                .description("whether programs get network access")
                .ranna()
                .build();

        /** {@value SandboxConfig#SKIP_STARTUP_PREP}: skip image pulls and other preparation at start. */
        public static final ConfigKey<Boolean> SKIP_STARTUP_PREP = ConfigKey.builder(
                        SandboxConfig.SKIP_STARTUP_PREP, ConfigType.BOOLEAN)
                .defaultValue("false")
                .description("skip image pulls and other preparation at start")
                .ranna()
                .build();

        /** {@value UidLeases#DIRECTORY}: where run uids are leased host-wide. */
        public static final ConfigKey<Path> UID_LEASE_DIR = ConfigKey.builder(
                        UidLeases.DIRECTORY, ConfigType.ABSOLUTE_PATH)
                .defaultHelp("/run/ranna/uids, else under java.io.tmpdir")
                .description("directory where run uids are leased host-wide (every server on a host must use the"
                        + " same one)")
                .build();

        /** {@code sandbox.streambuffercap}: ranna's stream buffer cap, accepted for compatibility. */
        public static final ConfigKey<Long> STREAM_BUFFER_CAP = ConfigKey.builder(
                        "sandbox.streambuffercap", ConfigType.POSITIVE_SIZE)
                .defaultValue("50M")
                .description("ranna's cap of a sandbox's output stream buffers; accepted and unused (output is"
                        + " bounded by api.maxoutputlen)")
                .ranna()
                .build();

        /** {@code hostrootdir}: ranna's host directory for run files, accepted for compatibility. */
        public static final ConfigKey<String> HOST_ROOT_DIR = ConfigKey.builder("hostrootdir", ConfigType.STRING)
                .description("ranna's host directory for run files; accepted and unused (runs get private"
                        + " tmpfs directories)")
                .ranna()
                .build();

        /** Every shared key, in {@code --help} order. */
        public static final List<ConfigKey<?>> ALL = List.of(
                MEMORY,
                COMPILE_MEMORY,
                ENABLE_NETWORKING,
                SKIP_STARTUP_PREP,
                UID_LEASE_DIR,
                STREAM_BUFFER_CAP,
                HOST_ROOT_DIR);
    }

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

    /** This config with one property set; the same {@link #instanceId()}. */
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

    /** The raw value of {@code key}, if set and not blank, trimmed. */
    public Optional<String> get(String key) {
        String value = properties.get(key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    @Override
    public <T> Optional<T> find(ConfigKey<T> key) {
        return get(key.name()).map(key::parse);
    }

    /** The value of any key name (e.g. one with a spec's key in it) parsed as {@code type}, if set. */
    public <T> Optional<T> parse(String key, ConfigType<T> type) {
        return get(key).map(text -> {
            try {
                return type.parse(text);
            } catch (InvalidValueException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new InvalidValueException(key, text, String.valueOf(e.getMessage()));
            }
        });
    }

    /** {@value #MEMORY}: the memory limit of one run in bytes, default 100 MiB. */
    public long memoryBytes() {
        return get(Keys.MEMORY);
    }

    /** {@value #ENABLE_NETWORKING}: whether runs may use the network, default false. */
    public boolean networking() {
        return get(Keys.ENABLE_NETWORKING);
    }

    /** {@value #RUNTIME}: the container runtime to use, if one is set. */
    public Optional<String> runtime() {
        return get(RUNTIME);
    }

    /** {@value #SKIP_STARTUP_PREP}: whether to skip preparation (image pulls) at start. */
    public boolean skipStartupPrep() {
        return get(Keys.SKIP_STARTUP_PREP);
    }

    @Override
    public String toString() {
        return "SandboxConfig" + properties;
    }
}
