package dev.ranna.protocol;

import org.jspecify.annotations.Nullable;

/**
 * How a run ended: the fields of a STOP event after {@code runid}, and of a REST execution response
 * after {@code stdout} and {@code stderr}.
 *
 * @param execTimeMs wall time of the program itself, from start to exit ({@code exectimems})
 * @param exitCode the exit code, or null when the program was ended by a signal ({@code exitcode})
 * @param signal the name of the signal that ended the program (e.g. {@code "SIGKILL"}), or null ({@code signal})
 * @param timedOut the run hit its wall-clock timeout ({@code timedout})
 * @param killed the run was killed by KILL, a disconnect or a shutdown ({@code killed})
 * @param truncated the run hit its output limit ({@code truncated})
 * @param usage CPU time and peak memory measured by the sandbox ({@code usage}), or null when the sandbox
 *     cannot measure them; null is written as an absent field, never as {@code null}
 * @param oomKilled the memory limit ended the program ({@code oomkilled}); written only when true, so a run
 *     that was not ended by its memory limit encodes exactly as ranna's STOP does
 * @param stage for a spec with a compile stage, the stage the run ended in ({@code stage}); null (absent on
 *     the wire) for a spec without one. With {@link Stage#COMPILE}, {@code exitCode} and {@code signal} are
 *     the compiler's and {@code execTimeMs} is 0 (the program never ran)
 * @param compileTimeMs for a spec with a compile stage, the compile stage's wall time in milliseconds ({@code
 *     compiletimems}); null (absent) otherwise
 */
public record RunResult(
        long execTimeMs,
        @Nullable Integer exitCode,
        @Nullable String signal,
        boolean timedOut,
        boolean killed,
        boolean truncated,
        @Nullable Usage usage,
        boolean oomKilled,
        @Nullable Stage stage,
        @Nullable Long compileTimeMs) {

    /** @throws IllegalArgumentException if {@code execTimeMs} or {@code compileTimeMs} is negative */
    public RunResult {
        if (execTimeMs < 0) {
            throw new IllegalArgumentException("execTimeMs must be >= 0: " + execTimeMs);
        }
        if (compileTimeMs != null && compileTimeMs < 0) {
            throw new IllegalArgumentException("compileTimeMs must be >= 0: " + compileTimeMs);
        }
    }

    /** A result of a run without a compile stage. */
    public RunResult(
            long execTimeMs,
            @Nullable Integer exitCode,
            @Nullable String signal,
            boolean timedOut,
            boolean killed,
            boolean truncated,
            @Nullable Usage usage,
            boolean oomKilled) {
        this(execTimeMs, exitCode, signal, timedOut, killed, truncated, usage, oomKilled, null, null);
    }

    /** This result as the end of a run of a spec with a compile stage: ended in {@code stage}. */
    public RunResult withStage(Stage endedIn, long compileMs) {
        return new RunResult(
                execTimeMs, exitCode, signal, timedOut, killed, truncated, usage, oomKilled, endedIn, compileMs);
    }

    /** A result without usage and not ended by the memory limit: the fields ranna itself sends. */
    public RunResult(
            long execTimeMs,
            @Nullable Integer exitCode,
            @Nullable String signal,
            boolean timedOut,
            boolean killed,
            boolean truncated) {
        this(execTimeMs, exitCode, signal, timedOut, killed, truncated, null, false);
    }

    /** A program that exited by itself with {@code exitCode}. */
    public static RunResult exited(long execTimeMs, int exitCode) {
        return new RunResult(execTimeMs, exitCode, null, false, false, false);
    }
}
