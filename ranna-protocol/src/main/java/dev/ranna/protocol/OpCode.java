package dev.ranna.protocol;

import java.util.Optional;

/**
 * The operation codes a client may send, with their wire values ({@code "op"}).
 *
 * <p>Dispatch on this enum with an exhaustive {@code switch} and no {@code default}, so that a new
 * constant breaks the build at every dispatch site.
 */
public enum OpCode {
    /** {@code 0}: ping the server; answered by {@link EventCode#PONG}. */
    PING(0),
    /** {@code 1}: start a code execution. */
    EXEC(1),
    /** {@code 2}: kill one of the caller's running executions. */
    KILL(2),
    /** {@code 3} (ours): write to the standard input of one of the caller's interactive runs. */
    STDIN(3),
    /** {@code 4} (ours): send a signal to the program of one of the caller's runs. */
    SIGNAL(4),
    /** {@code 5} (ours): resize the terminal of one of the caller's {@code tty} runs. */
    RESIZE(5);

    private final int code;

    OpCode(int code) {
        this.code = code;
    }

    /** The wire value of this operation. */
    public int code() {
        return code;
    }

    /** The operation with the given wire value, or empty if there is none. */
    public static Optional<OpCode> fromCode(long code) {
        for (OpCode op : values()) {
            if (op.code == code) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }
}
