package dev.ranna.engine.spi;

import java.util.Arrays;
import java.util.Objects;

/**
 * A run's standard input as the engine hands it to the sandbox: bytes in the order the client sent them,
 * then the end (EOF) exactly when the client closed its input.
 *
 * <p>The sandbox pulls: one thread of the run reads from here and writes to the program's input (a pipe,
 * a terminal, a container's attach stream), so input waits in the engine's bounded buffer until the
 * program can take it. That is the backpressure from the sandbox to the engine: the engine counts what
 * it holds and refuses more past its bound. {@link StdinPump} is that thread, ready to use.
 *
 * <p>The end of a run does not end its input: a sandbox interrupts its reader when the program has
 * exited, and {@link #read} then throws {@link InterruptedException}. Read from one thread at a time.
 */
public interface StdinSource {

    /**
     * Blocks until at least one byte can be returned or the input has ended.
     *
     * @return how many bytes were copied into {@code buffer[offset...]} (at least 1, at most {@code
     *     length}), or {@code -1} once the input has ended (then forever)
     * @throws InterruptedException if the reading thread was interrupted while it waited
     */
    int read(byte[] buffer, int offset, int length) throws InterruptedException;

    /**
     * Input that has ended before it began: the program reads EOF at once (a run without stdin). Always
     * this one instance, so a sandbox may test {@code source == StdinSource.EMPTY} and close the program's
     * input at once, without a thread.
     */
    StdinSource EMPTY = (buffer, offset, length) -> -1;

    /** {@link #EMPTY}. */
    static StdinSource empty() {
        return EMPTY;
    }

    /** Input that is exactly {@code bytes}, then ends: the EXEC's {@code stdin} of a run that is not interactive. */
    static StdinSource of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length == 0) {
            return empty();
        }
        byte[] copy = Arrays.copyOf(bytes, bytes.length);
        return new StdinSource() {
            private int position;

            @Override
            public synchronized int read(byte[] buffer, int offset, int length) {
                Objects.checkFromIndexSize(offset, length, buffer.length);
                if (position == copy.length) {
                    return -1;
                }
                int n = Math.min(length, copy.length - position);
                System.arraycopy(copy, position, buffer, offset, n);
                position += n;
                return n;
            }
        };
    }
}
