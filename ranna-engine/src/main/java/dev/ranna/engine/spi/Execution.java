package dev.ranna.engine.spi;

import java.util.concurrent.CompletionStage;

/**
 * One started run.
 *
 * <p>Thread-safe. {@link #exit()} completes exactly once, normally with the {@link ExitStatus}, or
 * exceptionally when the sandbox failed while the program ran (the engine then reports an ERROR 500);
 * either way only after the last call to the run's {@link OutputSink} and after the run's resources are
 * released. {@link #kill()} is idempotent, does not block, and may be called before, during or after
 * exit. The engine times the run and kills it at its deadline; an execution keeps no timer.
 *
 * <p>Extend {@link AbstractExecution}, which carries this contract's skeleton. Interactive features
 * (standard input and its end, signals, a terminal's size) will arrive as methods with defaults that
 * refuse, so an execution implements only what its sandbox supports.
 */
public interface Execution {

    /** Completes when the program has exited, its output is drained and its resources are gone. */
    CompletionStage<ExitStatus> exit();

    /**
     * Kills the program and everything it started. Returns at once; {@link #exit()} then completes
     * (typically with {@code SIGKILL}), unless the program had already exited.
     */
    void kill();
}
