package dev.ranna.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The compile stage of a REST run of a spec with one: the response's {@code "compile": {"stdout",
 * "stderr", "exitcode", "signal", "exectimems"}} (feature {@code "compile"}).
 *
 * @param stdout what the compiler wrote to standard output
 * @param stderr what the compiler wrote to standard error
 * @param exitCode the compiler's exit code, or null when it was ended by a signal or never ended by itself
 * @param signal the signal that ended the compiler, or null
 * @param execTimeMs the compile stage's wall time in milliseconds ({@code exectimems})
 */
public record CompileResult(
        String stdout,
        String stderr,
        @Nullable Integer exitCode,
        @Nullable String signal,
        long execTimeMs) {

    /** @throws IllegalArgumentException if {@code execTimeMs} is negative */
    public CompileResult {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        if (execTimeMs < 0) {
            throw new IllegalArgumentException("execTimeMs must be >= 0: " + execTimeMs);
        }
    }
}
