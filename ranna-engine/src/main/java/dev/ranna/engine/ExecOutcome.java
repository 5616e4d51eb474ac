package dev.ranna.engine;

import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionResponse;
import java.util.Objects;

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
     */
    record Failed(ErrorResponse error) implements ExecOutcome {
        public Failed {
            Objects.requireNonNull(error, "error");
        }
    }
}
