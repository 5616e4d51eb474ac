package dev.ranna.engine.spi.config;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One configuration key: its name, how its text is parsed, its default and a one-line description.
 *
 * <p>Names are dotted and lower-case ({@code sandbox.memory}). A name may hold one placeholder segment in
 * angle brackets for keys that exist once per something, e.g. {@code sandbox.docker.spec.<key>.pool.size}:
 * such a <em>template</em> matches any name with text in the placeholder's place ({@link #matches}), and
 * {@link #resolve} gives the concrete key.
 *
 * <p>The default is text in the key's own grammar, parsed like a configured value; a key whose default is
 * computed from other keys or from the host has no default text but a {@linkplain #defaultHelp() default
 * description} for {@code --help}, and its reader supplies the value.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the type of the parsed value
 */
public final class ConfigKey<T> {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+|\\.<[a-z]+>)*");

    private final String name;
    private final ConfigType<T> type;
    private final @Nullable String defaultValue;
    private final String defaultHelp;
    private final String description;
    private final boolean secret;
    private final boolean ranna;
    private final @Nullable Pattern template;

    private ConfigKey(Builder<T> builder) {
        this.name = builder.name;
        this.type = builder.type;
        this.defaultValue = builder.defaultValue;
        this.defaultHelp = builder.defaultHelp != null
                ? builder.defaultHelp
                : builder.defaultValue != null ? builder.defaultValue : "";
        this.description = builder.description;
        this.secret = builder.secret;
        this.ranna = builder.ranna;
        int open = name.indexOf('<');
        this.template = open < 0
                ? null
                : Pattern.compile(Pattern.quote(name.substring(0, open))
                        + "(.+)"
                        + Pattern.quote(name.substring(name.indexOf('>') + 1)));
        if (defaultValue != null && !defaultValue.isBlank()) {
            parse(defaultValue); // a default that does not parse is a programming error, found at class init
        }
    }

    /**
     * Starts a key.
     *
     * @param name the dotted, lower-case name
     * @param type how its text is parsed
     * @throws IllegalArgumentException if the name is not dotted lower-case words
     */
    public static <T> Builder<T> builder(String name, ConfigType<T> type) {
        return new Builder<>(name, type);
    }

    /** The dotted, lower-case name, e.g. {@code sandbox.memory}. */
    public String name() {
        return name;
    }

    /** How the text is parsed. */
    public ConfigType<T> type() {
        return type;
    }

    /** The default as text in the key's grammar, if it has one a reader can parse. */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue).filter(v -> !v.isBlank());
    }

    /** The default as {@code --help} shows it: the default text, or a description of a computed one. */
    public String defaultHelp() {
        return defaultHelp;
    }

    /** One line for {@code --help}. */
    public String description() {
        return description;
    }

    /** Whether the value is masked when the configuration is logged. */
    public boolean secret() {
        return secret;
    }

    /** Whether ranna itself has this key (with this meaning and default), rather than being ours. */
    public boolean rannaKey() {
        return ranna;
    }

    /** Whether this is a template with a placeholder segment. */
    public boolean isTemplate() {
        return template != null;
    }

    /** Whether {@code candidate} is this key's name, or for a template, one of its concrete names. */
    public boolean matches(String candidate) {
        return template != null ? template.matcher(candidate).matches() : name.equals(candidate);
    }

    /**
     * The concrete key of a template, with {@code value} in the placeholder's place.
     *
     * @throws IllegalStateException if this key is not a template
     */
    public ConfigKey<T> resolve(String value) {
        if (template == null) {
            throw new IllegalStateException(name + " is not a template");
        }
        String concrete = name.substring(0, name.indexOf('<')) + value + name.substring(name.indexOf('>') + 1);
        var builder = new Builder<>(concrete, type, false).description(description);
        builder.defaultValue = defaultValue;
        builder.defaultHelp = defaultHelp;
        builder.secret = secret;
        builder.ranna = ranna;
        return builder.build();
    }

    /**
     * The environment variable form: {@code RANNA_} and the name in upper case with dots as underscores
     * ({@code RANNA_SANDBOX_MEMORY}). The standalone server also accepts the name with its dots kept
     * ({@code RANNA_SANDBOX.MEMORY}).
     */
    public String environmentName() {
        return "RANNA_" + name.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /**
     * Parses {@code text} in this key's grammar.
     *
     * @throws InvalidValueException naming this key and {@code text} when it is blank or not a value
     */
    public T parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            throw new InvalidValueException(name, text, "expected " + type.summary() + ", got nothing");
        }
        try {
            return type.parse(text);
        } catch (InvalidValueException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(name, text, String.valueOf(e.getMessage()));
        }
    }

    /** The parsed default, if the key has default text. */
    public Optional<T> parsedDefault() {
        return defaultValue().map(this::parse);
    }

    /** The name. */
    @Override
    public String toString() {
        return name;
    }

    /** Builds a {@link ConfigKey}. Not thread-safe. */
    public static final class Builder<T> {
        private final String name;
        private final ConfigType<T> type;
        private @Nullable String defaultValue;
        private @Nullable String defaultHelp;
        private String description = "";
        private boolean secret;
        private boolean ranna;

        private Builder(String name, ConfigType<T> type) {
            this(name, type, true);
        }

        private Builder(String name, ConfigType<T> type, boolean check) {
            Objects.requireNonNull(name, "name");
            if (check && !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("name: expected dotted lower-case words, got '" + name + "'");
            }
            if (check && name.indexOf('<') != name.lastIndexOf('<')) {
                throw new IllegalArgumentException("name: at most one placeholder, got '" + name + "'");
            }
            this.name = name;
            this.type = Objects.requireNonNull(type, "type");
        }

        /** The default, as text in the key's grammar; parsed once now, so a bad default fails early. */
        public Builder<T> defaultValue(String text) {
            this.defaultValue = Objects.requireNonNull(text, "text");
            return this;
        }

        /** How {@code --help} describes a default that is computed, e.g. {@code "4 x sandbox.process.slots"}. */
        public Builder<T> defaultHelp(String text) {
            this.defaultHelp = Objects.requireNonNull(text, "text");
            return this;
        }

        /** One line for {@code --help}. */
        public Builder<T> description(String text) {
            this.description = Objects.requireNonNull(text, "text");
            return this;
        }

        /** Masks the value when the configuration is logged. */
        public Builder<T> secret() {
            this.secret = true;
            return this;
        }

        /** Marks a key ranna itself has, with ranna's meaning and default. */
        public Builder<T> ranna() {
            this.ranna = true;
            return this;
        }

        /**
         * Builds the key.
         *
         * @throws IllegalArgumentException if the default does not parse
         */
        public ConfigKey<T> build() {
            return new ConfigKey<>(this);
        }
    }
}
