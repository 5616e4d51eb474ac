package dev.ranna.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The compile stage of a REST run of a spec with one: the response's {@code "compile": {"stdout",
 * "stderr", "exitcode", "signal", "exectimems"}} (feature {@code "compile"}). The output is held as
 * {@link Utf8Text}, as in {@link ExecutionResponse}.
 *
 * @param stdoutUtf8 what the compiler wrote to standard output
 * @param stderrUtf8 what the compiler wrote to standard error
 * @param exitCode the compiler's exit code, or null when it was ended by a signal or never ended by itself
 * @param signal the signal that ended the compiler, or null
 * @param execTimeMs the compile stage's wall time in milliseconds ({@code exectimems})
 */
public record CompileResult(
        Utf8Text stdoutUtf8,
        Utf8Text stderrUtf8,
        @Nullable Integer exitCode,
        @Nullable String signal,
        long execTimeMs) {

    /** @throws IllegalArgumentException if {@code execTimeMs} is negative */
    public CompileResult {
        Objects.requireNonNull(stdoutUtf8, "stdoutUtf8");
        Objects.requireNonNull(stderrUtf8, "stderrUtf8");
        if (execTimeMs < 0) {
            throw new IllegalArgumentException("execTimeMs must be >= 0: " + execTimeMs);
        }
    }

    /**
     * A compile stage with the output as text.
     *
     * @throws IllegalArgumentException if {@code execTimeMs} is negative
     */
    public CompileResult(
            String stdout, String stderr, @Nullable Integer exitCode, @Nullable String signal, long execTimeMs) {
        this(
                Utf8Text.of(Objects.requireNonNull(stdout, "stdout")),
                Utf8Text.of(Objects.requireNonNull(stderr, "stderr")),
                exitCode,
                signal,
                execTimeMs);
    }

    /** What the compiler wrote to standard output. */
    public String stdout() {
        return stdoutUtf8.text();
    }

    /** What the compiler wrote to standard error. */
    public String stderr() {
        return stderrUtf8.text();
    }

    @Override
    public String toString() {
        return "CompileResult[stdout=" + stdoutUtf8 + ", stderr=" + stderrUtf8 + ", exitCode=" + exitCode + ", signal="
                + signal + ", execTimeMs=" + execTimeMs + "]";
    }
}
