package dev.ranna.engine;

import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The result of {@link RannaEngine#exec}: the run's output, or the error that ended it. */
public sealed interface ExecOutcome {

    /** The run completed (whatever its exit code); its output and how it ended. */
    record Completed(ExecutionResponse response) implements ExecOutcome {
        public Completed {
            Objects.requireNonNull(response, "response");
        }
    }

    /**
     * The run was refused (400, 413, 429, 503) or ended by an error (408 timeout, 413 output limit, 500
     * sandbox failure).
     *
     * @param error what went wrong, with the code the WebSocket's ERROR event carries
     * @param run for a run that started and was then ended by the error: its output up to then and how it
     *     ended (the STOP's fields, e.g. {@code timedout}); null for a refusal
     */
    record Failed(ErrorResponse error, @Nullable ExecutionResponse run) implements ExecOutcome {
        public Failed {
            Objects.requireNonNull(error, "error");
        }

        /** A refusal: the run never started. */
        public Failed(ErrorResponse error) {
            this(error, null);
        }
    }
}
