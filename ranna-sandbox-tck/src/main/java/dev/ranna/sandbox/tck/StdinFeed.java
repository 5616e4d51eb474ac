package dev.ranna.sandbox.tck;

import dev.ranna.engine.spi.StdinSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A {@link StdinSource} a test feeds by hand, as a client of an interactive run does: {@link #feed} hands
 * the program more input, {@link #end()} ends it (the client's EOF). Reads block while nothing is fed and
 * the input has not ended, exactly as the engine's buffer of an interactive run does.
 *
 * <pre>{@code
 * var stdin = new StdinFeed();
 * Run run = run(requestBuilder("while read -r l; do echo \"got $l\"; done").stdin(stdin));
 * stdin.feed("one\n");
 * run.awaitStdoutContaining("got one");
 * stdin.end();
 * }</pre>
 *
 * <p>Thread-safe: the test feeds from its thread while the sandbox's pump reads from another. Unbounded
 * (a test feeds what it means to), and it keeps no bytes once they are read.
 */
public final class StdinFeed implements StdinSource {
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> pieces = new ArrayDeque<>();
    private int headOffset;
    private long pending;
    private long read;
    private boolean ended;

    /** Adds {@code bytes} to the input (copied); the program can read them at once. */
    public void feed(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        synchronized (lock) {
            if (ended) {
                throw new IllegalStateException("the input has ended");
            }
            if (bytes.length > 0) {
                pieces.addLast(bytes.clone());
                pending += bytes.length;
                lock.notifyAll();
            }
        }
    }

    /** Adds {@code text}, encoded as UTF-8. */
    public void feed(String text) {
        feed(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Ends the input: once what was fed is read, {@link #read} returns -1. Idempotent. */
    public void end() {
        synchronized (lock) {
            ended = true;
            lock.notifyAll();
        }
    }

    /** How many fed bytes have not been read yet. */
    public long pending() {
        synchronized (lock) {
            return pending;
        }
    }

    /** How many bytes the reader has taken so far. */
    public long taken() {
        synchronized (lock) {
            return read;
        }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws InterruptedException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        synchronized (lock) {
            while (pieces.isEmpty() && !ended) {
                lock.wait();
            }
            byte[] head = pieces.peekFirst();
            if (head == null) {
                return -1;
            }
            if (length == 0) {
                return 0;
            }
            int n = Math.min(length, head.length - headOffset);
            System.arraycopy(head, headOffset, buffer, offset, n);
            headOffset += n;
            if (headOffset == head.length) {
                pieces.removeFirst();
                headOffset = 0;
            }
            pending -= n;
            read += n;
            return n;
        }
    }
}
