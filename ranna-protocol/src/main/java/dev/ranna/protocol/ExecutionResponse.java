package dev.ranna.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The body of a successful {@code POST /v1/exec}: {@code {"stdout", "stderr", "exectimems", ...}} with
 * the same additive fields as STOP, and {@code "compile"} for a spec with a compile stage.
 *
 * @param stdout the run stage's standard output
 * @param stderr the run stage's standard error
 * @param result how the run ended (the STOP's fields)
 * @param compile the compile stage's output and end, for a spec with a compile stage; null otherwise
 */
public record ExecutionResponse(
        String stdout,
        String stderr,
        RunResult result,
        @Nullable CompileResult compile) {
    public ExecutionResponse {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(result, "result");
    }

    /** A response of a run without a compile stage. */
    public ExecutionResponse(String stdout, String stderr, RunResult result) {
        this(stdout, stderr, result, null);
    }
}
