package dev.ranna.engine.spi.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the text of a {@link ConfigKey} becomes a value: one parser per type, shared by every key of every
 * part of ranna, so that {@code yes} means the same everywhere (the grammar is in the package
 * documentation).
 *
 * <p>Immutable and thread-safe. {@link #parse} is only given non-blank text (blank means "not set" and is
 * handled by the caller); it throws {@link IllegalArgumentException} whose message is the problem alone
 * ({@code "expected true or false"}), which {@link ConfigKey#parse} puts beside the key and the value.
 *
 * @param <T> the type of the parsed value
 */
public final class ConfigType<T> {

    private static final String BOOLEAN_EXPECTED = "expected true or false (or yes/no, on/off, 1/0)";
    private static final String SIZE_EXPECTED = "expected a size such as 100M, 1G or 512k";

    /** {@code true}/{@code false}, {@code yes}/{@code no}, {@code on}/{@code off}, {@code 1}/{@code 0}. */
    public static final ConfigType<Boolean> BOOLEAN = new ConfigType<>("true or false", ConfigType::parseBoolean);

    /** Any text, trimmed. */
    public static final ConfigType<String> STRING = new ConfigType<>("text", String::trim);

    /** Items separated by commas or whitespace, each trimmed, empty items dropped. */
    public static final ConfigType<List<String>> LIST = new ConfigType<>("a list", ConfigType::parseList);

    /** A size in ranna's syntax, in bytes, {@code >= 0}. */
    public static final ConfigType<Long> SIZE = new ConfigType<>("a size", text -> parseSize(text));

    /** A size in bytes, {@code > 0}. */
    public static final ConfigType<Long> POSITIVE_SIZE = new ConfigType<>("a size", text -> {
        long value = parseSize(text);
        if (value <= 0) {
            throw new IllegalArgumentException("must be > 0");
        }
        return value;
    });

    /** A size in bytes, {@code > 0} and below 2 GiB, for limits kept in an {@code int}. */
    public static final ConfigType<Integer> INT_SIZE = new ConfigType<>("a size", text -> {
        long value = parseSize(text);
        if (value <= 0) {
            throw new IllegalArgumentException("must be > 0");
        }
        if (value > Integer.MAX_VALUE - 1024) {
            throw new IllegalArgumentException("must be below 2G");
        }
        return (int) value;
    });

    /** Whole seconds, {@code > 0}. */
    public static final ConfigType<Duration> SECONDS = new ConfigType<>("seconds", text -> {
        long seconds = parseLong(text, "expected whole seconds");
        if (seconds <= 0) {
            throw new IllegalArgumentException("must be > 0");
        }
        return Duration.ofSeconds(seconds);
    });

    /** An absolute file system path, normalised. */
    public static final ConfigType<Path> ABSOLUTE_PATH = new ConfigType<>("an absolute path", text -> {
        Path path;
        try {
            path = Path.of(text.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("expected an absolute path");
        }
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("expected an absolute path");
        }
        return path.normalize();
    });

    private final String summary;
    private final Function<String, T> parser;

    private ConfigType(String summary, Function<String, T> parser) {
        this.summary = summary;
        this.parser = parser;
    }

    /**
     * A type of its own, for values with a syntax of their own (a cron schedule, {@code host:port}).
     *
     * @param summary what a value looks like, for {@code --help}, e.g. {@code "a cron schedule"}
     * @param parser parses non-blank text; throws {@link IllegalArgumentException} with the problem alone
     */
    public static <T> ConfigType<T> of(String summary, Function<String, T> parser) {
        return new ConfigType<>(Objects.requireNonNull(summary, "summary"), Objects.requireNonNull(parser, "parser"));
    }

    /** A whole number in {@code min..max}. */
    public static ConfigType<Integer> integer(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("min > max: " + min + " > " + max);
        }
        String range = max == Integer.MAX_VALUE
                ? (min == 0 ? "must be >= 0" : min == 1 ? "must be > 0" : "must be >= " + min)
                : "must be " + min + ".." + max;
        return new ConfigType<>("a whole number", text -> {
            long value = parseLong(text, "expected a whole number");
            if (value < min || value > max) {
                throw new IllegalArgumentException(range);
            }
            return (int) value;
        });
    }

    /** A whole number {@code >= 0}. */
    public static ConfigType<Integer> nonNegativeInteger() {
        return integer(0, Integer.MAX_VALUE);
    }

    /** A whole number {@code > 0}. */
    public static ConfigType<Integer> positiveInteger() {
        return integer(1, Integer.MAX_VALUE);
    }

    /** A size in bytes in {@code min..max}. */
    public static ConfigType<Long> size(long min, long max) {
        return new ConfigType<>("a size", text -> {
            long value = parseSize(text);
            if (value < min) {
                throw new IllegalArgumentException(min == 1 ? "must be > 0" : "must be at least " + min);
            }
            if (value > max) {
                throw new IllegalArgumentException("must be at most " + max);
            }
            return value;
        });
    }

    /**
     * One of a set of words, in any case, each meaning a value (several words may mean the same value,
     * e.g. {@code warn} and {@code warning}).
     *
     * @param words the accepted words, lower-case, in the order {@code --help} lists them (iteration order:
     *     pass a {@link LinkedHashMap})
     */
    public static <T> ConfigType<T> choice(Map<String, T> words) {
        var copy = new LinkedHashMap<String, T>();
        words.forEach((word, value) -> copy.put(word.toLowerCase(Locale.ROOT), Objects.requireNonNull(value, word)));
        var distinct = new ArrayList<>(copy.keySet());
        String expected = distinct.size() == 1
                ? distinct.get(0)
                : String.join(", ", distinct.subList(0, distinct.size() - 1)) + " or "
                        + distinct.get(distinct.size() - 1);
        return new ConfigType<>("one of " + String.join(", ", distinct), text -> {
            T value = copy.get(text.trim().toLowerCase(Locale.ROOT));
            if (value == null) {
                throw new IllegalArgumentException("expected " + expected);
            }
            return value;
        });
    }

    /** One of two words, e.g. {@code on} and {@code off}. */
    public static <T> ConfigType<T> choice(String word1, T value1, String word2, T value2) {
        var words = new LinkedHashMap<String, T>();
        words.put(word1, value1);
        words.put(word2, value2);
        return choice(words);
    }

    /** One of three words. */
    public static <T> ConfigType<T> choice(String word1, T value1, String word2, T value2, String word3, T value3) {
        var words = new LinkedHashMap<String, T>();
        words.put(word1, value1);
        words.put(word2, value2);
        words.put(word3, value3);
        return choice(words);
    }

    /** One of an enum's constants by its lower-case name. */
    public static <E extends Enum<E>> ConfigType<E> choice(Class<E> type) {
        var words = new LinkedHashMap<String, E>();
        for (E constant : type.getEnumConstants()) {
            words.put(constant.name().toLowerCase(Locale.ROOT), constant);
        }
        return choice(words);
    }

    /** What a value looks like, for {@code --help}. */
    public String summary() {
        return summary;
    }

    /**
     * Parses non-blank text.
     *
     * @throws IllegalArgumentException with the problem alone (no key, no value) when it is not a value
     */
    public T parse(String text) {
        return Objects.requireNonNull(parser.apply(text), "parser returned null");
    }

    @Override
    public String toString() {
        return "ConfigType[" + summary + "]";
    }

    private static boolean parseBoolean(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
            case "on":
            case "1":
                return true;
            case "false":
            case "no":
            case "off":
            case "0":
                return false;
            default:
                throw new IllegalArgumentException(BOOLEAN_EXPECTED);
        }
    }

    private static List<String> parseList(String text) {
        var items = new ArrayList<String>();
        for (String part : text.split("[,\\s]+")) {
            if (!part.isBlank()) {
                items.add(part.trim());
            }
        }
        return List.copyOf(items);
    }

    /** ranna's sizes: a number with an optional unit k, M, G or T (powers of 1024), optionally with B or iB. */
    private static long parseSize(String text) {
        String lower = text.trim().toLowerCase(Locale.ROOT);
        if (lower.endsWith("ib")) {
            lower = lower.substring(0, lower.length() - 2);
        } else if (lower.endsWith("b") || lower.endsWith("i")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        long multiplier = 1;
        if (!lower.isEmpty()) {
            switch (lower.charAt(lower.length() - 1)) {
                case 'k':
                    multiplier = 1024L;
                    break;
                case 'm':
                    multiplier = 1024L * 1024;
                    break;
                case 'g':
                    multiplier = 1024L * 1024 * 1024;
                    break;
                case 't':
                    multiplier = 1024L * 1024 * 1024 * 1024;
                    break;
                default:
                    break;
            }
            if (multiplier != 1) {
                lower = lower.substring(0, lower.length() - 1).trim();
            }
        }
        try {
            long number = Long.parseLong(lower);
            if (number < 0) {
                throw new IllegalArgumentException(SIZE_EXPECTED);
            }
            return Math.multiplyExact(number, multiplier);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(SIZE_EXPECTED);
        }
    }

    private static long parseLong(String text, String expected) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(expected);
        }
    }
}
