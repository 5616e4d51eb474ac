package dev.ranna.protocol;

import java.util.Objects;

/**
 * The body of a successful {@code POST /v1/exec}: {@code {"stdout", "stderr", "exectimems", ...}} with
 * the same additive fields as STOP.
 */
public record ExecutionResponse(String stdout, String stderr, RunResult result) {
    public ExecutionResponse {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(result, "result");
    }
}
