package dev.ranna.spring;

import dev.ranna.engine.EngineKeys;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SandboxSelector;
import dev.ranna.engine.access.ApiKeys;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.config.ConfigKey;
import dev.ranna.engine.spi.config.ConfigRegistry;
import dev.ranna.engine.spi.config.ConfigValues;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

/**
 * ranna's configuration read from Spring's {@link Environment}: every key of ranna's registry (the engine's
 * {@link EngineKeys}, the API's {@link ApiKeys}, the shared sandbox keys and each discovered provider's own)
 * under the prefix {@code ranna.}, with the same names, grammar, meaning and defaults as the standalone
 * server's flags, environment variables and config file. {@code ranna.sandbox.timeoutseconds=5} in {@code
 * application.properties} is the standalone server's {@code sandbox.timeoutseconds: 5}, and ranna's own
 * environment variable {@code RANNA_SANDBOX_TIMEOUTSECONDS} works unchanged (Spring maps it onto the same
 * name). A list may be comma-separated text or a YAML list.
 *
 * <p>An unknown key under {@code ranna.} in an enumerable property source (properties and YAML files,
 * command-line arguments) fails the start, naming the closest known key, as the standalone server does.
 *
 * <p>Immutable and thread-safe once built.
 */
public final class RannaSettings implements ConfigValues {
    /** The property prefix of every key. */
    public static final String PREFIX = "ranna.";

    private final ConfigRegistry registry;
    private final Map<String, String> values;
    private final Map<String, String> sandboxProperties;

    private RannaSettings(ConfigRegistry registry, Map<String, String> values, Map<String, String> sandboxProperties) {
        this.registry = registry;
        this.values = Map.copyOf(values);
        this.sandboxProperties = Map.copyOf(sandboxProperties);
    }

    /**
     * The registry of every key the starter reads: its own, the engine's, the API's, the shared sandbox
     * keys and each provider's (whose prefix the provider owns).
     */
    public static ConfigRegistry registry(List<SandboxProvider> providers) {
        ConfigRegistry.Builder builder = ConfigRegistry.builder()
                .group("Spring Boot starter", SpringKeys.ALL)
                .group("API", ApiKeys.ALL)
                .group("Engine", EngineKeys.ALL)
                .group("Every sandbox", SandboxConfig.Keys.ALL);
        for (SandboxProvider provider : providers) {
            builder.group("Sandbox '" + provider.name() + "'", provider.configKeys())
                    .owner(provider.configPrefix(), "the " + provider.name() + " sandbox");
        }
        return builder.build();
    }

    /**
     * Reads every key from {@code environment}.
     *
     * @throws IllegalArgumentException naming the key for an unknown key under {@code ranna.} or a value that
     *     does not parse
     */
    public static RannaSettings read(Environment environment, List<SandboxProvider> providers) {
        ConfigRegistry registry = registry(providers);
        Set<ConfigKey<?>> sandboxKeys = new HashSet<>(SandboxConfig.Keys.ALL);
        providers.forEach(provider -> sandboxKeys.addAll(provider.configKeys()));

        var values = new TreeMap<String, String>();
        for (ConfigKey<?> key : registry.keys()) {
            if (!key.isTemplate()) {
                String value = property(environment, key.name());
                if (value != null) {
                    values.put(key.name(), value);
                }
            }
        }
        for (String name : enumerableNames(environment)) {
            String keyName = name.substring(PREFIX.length());
            Optional<ConfigKey<?>> key = registry.find(keyName);
            if (key.isEmpty()) {
                throw new IllegalArgumentException(PREFIX + registry.unknownKeyMessage(keyName) + " (from " + PREFIX
                        + "* of the Spring environment)");
            }
            if (key.get().isTemplate() && !values.containsKey(keyName)) {
                String value = property(environment, keyName);
                if (value != null) {
                    values.put(keyName, value);
                }
            }
        }
        var sandbox = new TreeMap<String, String>();
        values.forEach((name, value) -> registry.find(name)
                .filter(sandboxKeys::contains)
                .filter(key -> !value.isBlank())
                .ifPresent(key -> sandbox.put(name, value.trim())));
        var settings = new RannaSettings(registry, values, sandbox);
        // Parse everything now, so a bad value fails the start naming its key rather than the first request.
        for (String name : values.keySet()) {
            String value = values.get(name);
            if (value != null && !value.isBlank()) {
                registry.find(name).ifPresent(key -> key.parse(value.trim()));
            }
        }
        settings.limits();
        return settings;
    }

    private static @Nullable String property(Environment environment, String keyName) {
        String name = PREFIX + keyName;
        String value = environment.getProperty(name);
        if (value != null) {
            return value;
        }
        // A YAML list (ranna.api.tokens: [a, b]) is ranna.api.tokens[0], [1]...: the one comma-separated text.
        if (ConfigurationPropertyName.isValid(name)) {
            return Binder.get(environment)
                    .bind(name, Bindable.listOf(String.class))
                    .map(list -> String.join(",", list))
                    .orElse(null);
        }
        return null;
    }

    private static List<String> enumerableNames(Environment environment) {
        var names = new ArrayList<String>();
        if (environment instanceof ConfigurableEnvironment configurable) {
            for (PropertySource<?> source : configurable.getPropertySources()) {
                if (source instanceof EnumerablePropertySource<?> enumerable) {
                    for (String name : enumerable.getPropertyNames()) {
                        if (name.startsWith(PREFIX)) {
                            // A YAML list's elements name their list.
                            int bracket = name.indexOf('[');
                            names.add(bracket < 0 ? name : name.substring(0, bracket));
                        }
                    }
                }
            }
        }
        return names;
    }

    @Override
    public <T> Optional<T> find(ConfigKey<T> key) {
        String value = values.get(key.name());
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(key.parse(value.trim()));
    }

    /** The registry the values were read with (for the configuration metadata and error messages). */
    public ConfigRegistry registry() {
        return registry;
    }

    /** The run limits configured, defaults for the rest. */
    public RunLimits limits() {
        return EngineKeys.limits(this);
    }

    /** The configuration handed to the sandbox: the shared sandbox keys and the providers' keys, as set. */
    public SandboxConfig sandboxConfig() {
        return SandboxConfig.of(sandboxProperties);
    }

    /** {@code sandbox.type}, if set. */
    public Optional<String> sandboxType() {
        return find(EngineKeys.SANDBOX_TYPE);
    }

    /** A selector over {@code providers} with the configured name and sandbox configuration. */
    SandboxSelector selector(List<SandboxProvider> providers) {
        return SandboxSelector.of(providers).name(sandboxType().orElse(null)).config(sandboxConfig());
    }

    /** The path prefix before {@code /v1}: empty, or starting with {@code /} and not ending with one. */
    public String pathPrefix() {
        String prefix = find(SpringKeys.PATH_PREFIX).orElse("").trim();
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!prefix.isEmpty() && !prefix.startsWith("/")) {
            prefix = "/" + prefix;
        }
        return prefix;
    }
}
