package dev.ranna.protocol;

import java.util.Objects;

/**
 * The outcome of decoding untrusted text: a {@link Success} with the operation, or a {@link Failure}
 * that says what was wrong. Decoding never throws for bad input.
 */
public sealed interface DecodeResult {

    /** The text was a valid operation. */
    record Success(Operation operation) implements DecodeResult {
        public Success {
            Objects.requireNonNull(operation, "operation");
        }
    }

    /**
     * The text was not a valid operation.
     *
     * @param nonce the nonce, if it could be read before the problem was found, else {@link Nonce#NONE}
     * @param code an HTTP-like code (400 for malformed input)
     * @param message what was wrong, naming the field (e.g. {@code "args.language: expected a string"})
     */
    record Failure(Nonce nonce, int code, String message) implements DecodeResult {
        public Failure {
            Objects.requireNonNull(nonce, "nonce");
            Objects.requireNonNull(message, "message");
        }

        /** A 400 failure. */
        public static Failure badRequest(Nonce nonce, String message) {
            return new Failure(nonce, ErrorCode.BAD_REQUEST.code(), message);
        }

        /** The ERROR event that answers this failure on a WebSocket. */
        public Event.Error toEvent() {
            return new Event.Error(nonce, code, message);
        }
    }
}
