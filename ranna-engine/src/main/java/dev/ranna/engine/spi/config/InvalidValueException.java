package dev.ranna.engine.spi.config;

/**
 * A configuration value that does not parse or is out of range. The message is {@code key: problem, got
 * 'value'}; {@link #key()}, {@link #value()} and {@link #problem()} give the parts, so a caller that knows
 * where the value came from can say so.
 */
public final class InvalidValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final String value;
    private final String problem;

    /**
     * @param key the key's name
     * @param value the text as configured
     * @param problem what is wrong, e.g. {@code "expected true or false"}
     */
    public InvalidValueException(String key, String value, String problem) {
        super(key + ": " + problem + ", got '" + value + "'");
        this.key = key;
        this.value = value;
        this.problem = problem;
    }

    /** The key's name. */
    public String key() {
        return key;
    }

    /** The text as configured. */
    public String value() {
        return value;
    }

    /** What is wrong with it. */
    public String problem() {
        return problem;
    }
}
