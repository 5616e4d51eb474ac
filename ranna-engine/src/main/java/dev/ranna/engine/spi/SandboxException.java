package dev.ranna.engine.spi;

import dev.ranna.protocol.ErrorCode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A sandbox could not do what was asked. Its message is sent to the client, so it must say what went
 * wrong in terms a user understands and never include stack traces, host paths or secrets. The cause is
 * logged on the server only.
 */
public class SandboxException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** A failure with the given client-facing code and message. */
    public SandboxException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** An internal (500) failure. */
    public SandboxException(String message, @Nullable Throwable cause) {
        this(ErrorCode.INTERNAL, message, cause);
    }

    /** An internal (500) failure. */
    public SandboxException(String message) {
        this(ErrorCode.INTERNAL, message, null);
    }

    /** The code the client sees. */
    public ErrorCode code() {
        return code;
    }
}
