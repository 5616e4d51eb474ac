package dev.ranna.protocol;

import java.util.Objects;

/**
 * The optional correlation value of an operation, echoed on every event it causes.
 *
 * <p>A nonce is either {@linkplain #NONE absent}, an integer of any 64-bit value (0 included), or a
 * string. It is echoed exactly as received: same JSON type, same digits. An operation without a nonce
 * causes events without one.
 */
public sealed interface Nonce {

    /** The absent nonce: events carry no {@code "nonce"} field. */
    Nonce NONE = new Absent();

    /** An integer nonce. */
    static Nonce of(long value) {
        return new Numeric(value);
    }

    /** A string nonce. */
    static Nonce of(String value) {
        return new Text(value);
    }

    /** Whether a nonce was given. */
    boolean isPresent();

    /** Which of the three forms this nonce has; switch on it exhaustively. */
    Kind kind();

    /** The forms of a nonce, one per record of this sealed interface. */
    enum Kind {
        /** {@link Absent}: no {@code "nonce"} field. */
        NONE,
        /** {@link Numeric}: a JSON integer. */
        NUMERIC,
        /** {@link Text}: a JSON string. */
        TEXT
    }

    /** No nonce was given. Use {@link #NONE}. */
    record Absent() implements Nonce {
        @Override
        public Kind kind() {
            return Kind.NONE;
        }

        @Override
        public boolean isPresent() {
            return false;
        }

        @Override
        public String toString() {
            return "none";
        }
    }

    /** An integer nonce, written back as the same JSON number. */
    record Numeric(long value) implements Nonce {
        @Override
        public Kind kind() {
            return Kind.NUMERIC;
        }

        @Override
        public boolean isPresent() {
            return true;
        }

        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    /** A string nonce, written back as the same JSON string. */
    record Text(String value) implements Nonce {
        public Text {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public Kind kind() {
            return Kind.TEXT;
        }

        @Override
        public boolean isPresent() {
            return true;
        }

        @Override
        public String toString() {
            return '"' + value + '"';
        }
    }
}
