package dev.ranna.engine;

import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import java.util.Objects;

/**
 * Why an EXEC is refused before it spawns: the kind decides the wire's error code and the metric's
 * reason, never the message text.
 *
 * @param kind what went wrong
 * @param message what the client reads in the ERROR
 */
record Rejection(Kind kind, String message) {

    /** The kinds of refusal, each with its error code and its {@code ranna.runs.rejected} reason. */
    enum Kind {
        /** The engine is closing. */
        SHUTTING_DOWN(ErrorCode.UNAVAILABLE, "shutdown"),
        /** The client's rate limit is spent. */
        RATE_LIMITED(ErrorCode.TOO_MANY_REQUESTS, "ratelimit"),
        /** The request is malformed for this server (language, code, inline, argument or variable). */
        INVALID(ErrorCode.BAD_REQUEST, "validation"),
        /** The code, or the arguments and environment, exceed their byte limit. */
        TOO_LARGE(ErrorCode.TOO_LARGE, "validation"),
        /** No slot and the queue is full. */
        QUEUE_FULL(ErrorCode.UNAVAILABLE, "capacity"),
        /** The client has its share of runs across its sessions. */
        CLIENT_FULL(ErrorCode.UNAVAILABLE, "capacity"),
        /** This connection has its share of runs. */
        SESSION_FULL(ErrorCode.UNAVAILABLE, "capacity");

        private final ErrorCode code;
        private final String metric;

        Kind(ErrorCode code, String metric) {
            this.code = code;
            this.metric = metric;
        }

        ErrorCode code() {
            return code;
        }

        /** The reason tag of the rejection metric. */
        String metric() {
            return metric;
        }
    }

    static final Rejection SHUTTING_DOWN = new Rejection(Kind.SHUTTING_DOWN, "server is shutting down");
    static final Rejection RATE_LIMITED = new Rejection(Kind.RATE_LIMITED, "you have been rate limited");
    static final Rejection QUEUE_FULL = new Rejection(Kind.QUEUE_FULL, "server is at capacity: the run queue is full");

    Rejection {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    static Rejection invalid(String message) {
        return new Rejection(Kind.INVALID, message);
    }

    static Rejection tooLarge(String message) {
        return new Rejection(Kind.TOO_LARGE, message);
    }

    static Rejection clientFull(int limit) {
        return new Rejection(Kind.CLIENT_FULL, "too many runs from this client: the limit is " + limit + " at a time");
    }

    static Rejection sessionFull(int limit) {
        return new Rejection(
                Kind.SESSION_FULL, "too many runs on this connection: the limit is " + limit + " at a time");
    }

    /** The ERROR event answering the EXEC with {@code nonce}. */
    Event.Error toEvent(Nonce nonce) {
        return Event.Error.of(nonce, kind.code(), message);
    }
}
