package dev.ranna.engine;

import dev.ranna.engine.spi.SandboxException;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a throwable becomes a wire error. A {@link SandboxException} carries a client-facing
 * code and message; anything else is an internal error whose details stay in the server log.
 */
final class ErrorMapper {
    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

    private ErrorMapper() {}

    static Event.Error toEvent(Nonce nonce, RunId runId, Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof SandboxException) {
            var sandboxFailure = (SandboxException) cause;
            log.warn("run {}: sandbox failure: {}", runId, sandboxFailure.getMessage(), sandboxFailure.getCause());
            // A subclass may override getMessage(); the event still says something.
            return Event.Error.of(
                    nonce,
                    sandboxFailure.code(),
                    Objects.requireNonNullElse(sandboxFailure.getMessage(), "sandbox failure"));
        }
        log.error("run {}: internal error", runId, cause);
        return Event.Error.of(nonce, ErrorCode.INTERNAL, "internal error: the sandbox failed to run the code");
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
