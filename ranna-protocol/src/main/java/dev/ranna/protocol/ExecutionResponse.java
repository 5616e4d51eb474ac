package dev.ranna.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The body of a successful {@code POST /v1/exec}: {@code {"stdout", "stderr", "exectimems", ...}} with
 * the same additive fields as STOP, and {@code "compile"} for a spec with a compile stage.
 *
 * <p>The output is held as {@link Utf8Text}: the engine joins a run's LOG bytes and the REST encoder writes
 * them escaped on bytes, with no {@code String} in between; {@link #stdout()} and {@link #stderr()} decode on
 * first use.
 *
 * @param stdoutUtf8 the run stage's standard output
 * @param stderrUtf8 the run stage's standard error
 * @param result how the run ended (the STOP's fields)
 * @param compile the compile stage's output and end, for a spec with a compile stage; null otherwise
 */
public record ExecutionResponse(
        Utf8Text stdoutUtf8,
        Utf8Text stderrUtf8,
        RunResult result,
        @Nullable CompileResult compile) {
    public ExecutionResponse {
        Objects.requireNonNull(stdoutUtf8, "stdoutUtf8");
        Objects.requireNonNull(stderrUtf8, "stderrUtf8");
        Objects.requireNonNull(result, "result");
    }

    /** A response with the output as text. */
    public ExecutionResponse(String stdout, String stderr, RunResult result, @Nullable CompileResult compile) {
        this(
                Utf8Text.of(Objects.requireNonNull(stdout, "stdout")),
                Utf8Text.of(Objects.requireNonNull(stderr, "stderr")),
                result,
                compile);
    }

    /** A response of a run without a compile stage. */
    public ExecutionResponse(String stdout, String stderr, RunResult result) {
        this(stdout, stderr, result, null);
    }

    /** The run stage's standard output. */
    public String stdout() {
        return stdoutUtf8.text();
    }

    /** The run stage's standard error. */
    public String stderr() {
        return stderrUtf8.text();
    }

    @Override
    public String toString() {
        return "ExecutionResponse[stdout=" + stdoutUtf8 + ", stderr=" + stderrUtf8 + ", result=" + result + ", compile="
                + compile + "]";
    }
}
