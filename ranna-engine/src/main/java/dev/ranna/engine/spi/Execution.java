package dev.ranna.engine.spi;

import dev.ranna.protocol.ProgramSignal;
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
 * <p>Extend {@link AbstractExecution}, which carries this contract's skeleton. Interactive features are
 * methods with defaults that refuse; the engine calls one only when the sandbox declares its {@link
 * Capability}, so an execution implements only what its sandbox supports. (Standard input is not a
 * method: it is {@link SandboxRequest#stdin()}, which the sandbox pulls.)
 */
public interface Execution {

    /** Completes when the program has exited, its output is drained and its resources are gone. */
    CompletionStage<ExitStatus> exit();

    /**
     * Kills the program and everything it started. Returns at once; {@link #exit()} then completes
     * (typically with {@code SIGKILL}), unless the program had already exited.
     */
    void kill();

    /**
     * Sends {@code signal} to the program: on Linux, to every process of the run's program (its process
     * group, or all of its processes when the sandbox cannot tell them apart), never to the sandbox's
     * own helpers, so a {@code trap} in a shell runs and a {@code SIGTERM} that ends the program is
     * reported in {@link ExitStatus#signal()}. Returns at once; does nothing once the program has exited.
     * Called only when the sandbox declares {@link Capability#SIGNALS}.
     *
     * @throws UnsupportedOperationException by default
     */
    default void signal(ProgramSignal signal) {
        throw new UnsupportedOperationException("signals");
    }

    /**
     * Sets the size of the run's terminal (its programs get {@code SIGWINCH}). Called only for runs with
     * {@link SandboxRequest#tty()} of a sandbox that declares {@link Capability#TTY}, with 1..1000 each.
     * Returns promptly; does nothing once the program has exited.
     *
     * @throws UnsupportedOperationException by default
     */
    default void resize(int columns, int rows) {
        throw new UnsupportedOperationException("tty");
    }
}
