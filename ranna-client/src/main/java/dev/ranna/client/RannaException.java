package dev.ranna.client;

import org.jspecify.annotations.Nullable;

/**
 * A failure reported by a ranna server, or met on the way to one: an ERROR event of a run ({@code code} and
 * {@code message} as the server sent them, e.g. 400 {@code "unsupported language spec"}, 429, 503), a REST
 * error body ({@code {"error", "code"}}), or, as the subclass {@link RannaConnectionException}, a connection
 * that could not be opened or was lost.
 *
 * <p>Unchecked: a client call either returns what was asked or throws (or completes its stage with) this.
 * Immutable.
 */
public class RannaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String message;

    /**
     * @param code the server's HTTP-like code (the ERROR's {@code code}, the REST body's {@code code})
     * @param message the server's message, as sent
     */
    public RannaException(int code, String message) {
        this(code, message, null);
    }

    /**
     * @param code the server's HTTP-like code
     * @param message the server's message, as sent
     * @param cause what caused it on this side, if anything
     */
    public RannaException(int code, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.code = code;
        this.message = message;
    }

    /**
     * The code: the server's HTTP-like code for an ERROR or a REST error (see {@link
     * dev.ranna.protocol.ErrorCode}); for a {@link RannaConnectionException}, see there.
     */
    public int code() {
        return code;
    }

    /** The server's message (or what happened on this side), never null. */
    @Override
    public String getMessage() {
        return message;
    }

    @Override
    public String toString() {
        return getClass().getName() + ": " + code + " " + getMessage();
    }
}
