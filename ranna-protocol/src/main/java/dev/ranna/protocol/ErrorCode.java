package dev.ranna.protocol;

/**
 * The HTTP-like codes carried by ERROR events and REST error bodies.
 *
 * <p>{@link Event.Error} keeps the code as a plain {@code int} so that a client can read codes this
 * enum does not know; these constants are the ones this server sends.
 */
public enum ErrorCode {
    /** 400: the message or request is invalid. */
    BAD_REQUEST(400),
    /** 401: an access token is required and missing or wrong. */
    UNAUTHORIZED(401),
    /** 404: no such resource. */
    NOT_FOUND(404),
    /** 408: the run exceeded its wall-clock timeout. */
    TIMEOUT(408),
    /** 413: the code or the output exceeded its size limit. */
    TOO_LARGE(413),
    /** 429: the client exceeded its EXEC rate limit. */
    TOO_MANY_REQUESTS(429),
    /** 500: the sandbox or the server failed. */
    INTERNAL(500),
    /** 503: no capacity to run this now. */
    UNAVAILABLE(503);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The numeric code as sent on the wire. */
    public int code() {
        return code;
    }
}
