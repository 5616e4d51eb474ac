package dev.ranna.engine.spi;

import dev.ranna.protocol.StdStream;

/**
 * Where a sandbox writes a run's output, as raw bytes in the order they were read.
 *
 * <p>Called from the sandbox's own threads, never concurrently for the same stream, and never after
 * {@link Execution#exit()} completed. A call may <b>block</b>: that is how backpressure from a slow
 * client reaches the program (it then blocks on its full pipe). Sandboxes must therefore read each
 * stream on a thread that may be blocked, and must not hold locks that {@link Execution#kill()} needs
 * while calling. A blocked call returns promptly once the run is killed.
 */
public interface OutputSink {

    /**
     * Takes {@code length} bytes of {@code stream} output from {@code bytes[offset...]}. The sink does
     * not keep a reference to the array.
     */
    void write(StdStream stream, byte[] bytes, int offset, int length);

    /**
     * The compile stage of a spec with one ({@link LanguageSpec#compile()}) ended cleanly (exit code 0)
     * and the run stage starts now: every byte the compiler wrote was written before this call, every
     * later {@link #write} is the program's. {@code compile} is the compiler's status (its elapsed time is
     * the compile stage's wall-clock time). Called at most once, before the program is started, never
     * concurrently with {@link #write}; not called when the compile failed, was killed or timed out (then
     * {@link Execution#exit()} completes with the compiler's status and the program never runs), nor for a
     * spec without a compile stage. Never blocks for long.
     */
    default void compiled(ExitStatus compile) {}
}
