package dev.ranna.engine.spi.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every configuration key a server knows, in groups (the server's, the engine's, each sandbox provider's),
 * and the prefixes whose keys must all be declared ({@code sandbox.docker.} belongs to the Docker sandbox:
 * an undeclared {@code sandbox.docker.tyop} is an error, not a silently ignored key).
 *
 * <p>The one source of {@code --help} ({@link #describe()}) and of the unknown-key check ({@link #find},
 * {@link #owner}, {@link #unknownKeyMessage}).
 *
 * <p>Immutable and thread-safe.
 */
public final class ConfigRegistry {

    /**
     * Keys shown together under a title.
     *
     * @param title e.g. {@code "Sandbox: docker"}
     * @param keys in {@code --help} order
     */
    public record Group(String title, List<ConfigKey<?>> keys) {
        public Group {
            Objects.requireNonNull(title, "title");
            keys = List.copyOf(keys);
        }
    }

    private final List<Group> groups;
    private final Map<String, ConfigKey<?>> byName;
    private final List<ConfigKey<?>> templates;
    private final Map<String, String> owners;

    private ConfigRegistry(Builder builder) {
        this.groups = List.copyOf(builder.groups);
        this.byName = Map.copyOf(builder.byName);
        this.templates = List.copyOf(builder.templates);
        this.owners = Map.copyOf(builder.owners);
    }

    /** An empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The groups, in the order they were added. */
    public List<Group> groups() {
        return groups;
    }

    /** Every key, templates included, in {@code --help} order. */
    public List<ConfigKey<?>> keys() {
        var all = new ArrayList<ConfigKey<?>>();
        groups.forEach(group -> all.addAll(group.keys()));
        return all;
    }

    /** The key called {@code name}: a declared key, or the concrete key of a matching template. */
    public Optional<ConfigKey<?>> find(String name) {
        ConfigKey<?> key = byName.get(name);
        if (key != null) {
            return Optional.of(key);
        }
        for (ConfigKey<?> template : templates) {
            if (template.matches(name)) {
                return Optional.of(template);
            }
        }
        return Optional.empty();
    }

    /**
     * Who owns the prefix {@code name} falls under ({@code "the docker sandbox"} for {@code
     * sandbox.docker.x}), if any: an unknown key there is an error.
     */
    public Optional<String> owner(String name) {
        String best = null;
        for (String prefix : owners.keySet()) {
            if (name.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
                best = prefix;
            }
        }
        return best == null ? Optional.empty() : Optional.ofNullable(owners.get(best));
    }

    /**
     * What to tell an operator about the unknown key {@code name}: that it is unknown, whose prefix it is
     * under if any, and the closest known key when one is close.
     */
    public String unknownKeyMessage(String name) {
        var text = new StringBuilder("unknown configuration key '").append(name).append('\'');
        owner(name).ifPresent(owner -> text.append(": ").append(owner).append(" has no such key"));
        closest(name)
                .ifPresent(key -> text.append(" (did you mean ").append(key).append("?)"));
        return text.toString();
    }

    private Optional<String> closest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (ConfigKey<?> key : keys()) {
            int distance = distance(name, key.name());
            if (distance < bestDistance) {
                bestDistance = distance;
                best = key.name();
            }
        }
        return best != null && bestDistance <= Math.max(2, name.length() / 6) ? Optional.of(best) : Optional.empty();
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * The keys for {@code --help}: per group a title, then per key its name, default, environment variable
     * and description. Keys that are ours rather than ranna's are marked {@code [ranna-jvm]}.
     */
    public String describe() {
        var text = new StringBuilder();
        for (Group group : groups) {
            if (group.keys().isEmpty()) {
                continue;
            }
            text.append(group.title()).append(":\n");
            for (ConfigKey<?> key : group.keys()) {
                text.append("  ").append(key.name());
                if (!key.defaultHelp().isEmpty()) {
                    text.append(" (default ").append(key.defaultHelp()).append(')');
                }
                if (!key.rannaKey()) {
                    text.append(" [ranna-jvm]");
                }
                text.append("\n      ");
                if (!key.isTemplate()) {
                    text.append(key.environmentName()).append(": ");
                }
                text.append(key.description()).append('\n');
            }
            text.append('\n');
        }
        return text.toString();
    }

    /** Builds a {@link ConfigRegistry}. Not thread-safe. */
    public static final class Builder {
        private final List<Group> groups = new ArrayList<>();
        private final Map<String, ConfigKey<?>> byName = new LinkedHashMap<>();
        private final List<ConfigKey<?>> templates = new ArrayList<>();
        private final Map<String, String> owners = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Adds a group of keys. A key already added (the same object, e.g. a key two providers share) is
         * listed once, in the first group that has it.
         *
         * @throws IllegalArgumentException if a different key with the same name was added before
         */
        public Builder group(String title, Collection<? extends ConfigKey<?>> keys) {
            var fresh = new ArrayList<ConfigKey<?>>();
            for (ConfigKey<?> key : keys) {
                ConfigKey<?> known = byName.get(key.name());
                if (known == null) {
                    known = templates.stream()
                            .filter(t -> t.name().equals(key.name()))
                            .findFirst()
                            .orElse(null);
                }
                if (known == key) {
                    continue;
                }
                if (known != null) {
                    throw new IllegalArgumentException("configuration key " + key.name() + " is declared twice");
                }
                if (key.isTemplate()) {
                    templates.add(key);
                } else {
                    byName.put(key.name(), key);
                }
                fresh.add(key);
            }
            groups.add(new Group(title, fresh));
            return this;
        }

        /**
         * Declares that every key starting with {@code prefix} belongs to {@code owner}, which declared
         * all of them: an unknown key there is an error.
         *
         * @param prefix e.g. {@code sandbox.docker.}
         * @param owner e.g. {@code the docker sandbox}
         */
        public Builder owner(String prefix, String owner) {
            owners.put(Objects.requireNonNull(prefix, "prefix"), Objects.requireNonNull(owner, "owner"));
            return this;
        }

        /** Builds the registry. */
        public ConfigRegistry build() {
            return new ConfigRegistry(this);
        }
    }
}
