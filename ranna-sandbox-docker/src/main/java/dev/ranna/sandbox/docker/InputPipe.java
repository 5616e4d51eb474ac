package dev.ranna.sandbox.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded in-memory pipe between the run's {@link dev.ranna.engine.spi.StdinPump} (writes to {@link
 * #sink()}) and docker-java's attach (reads {@link #source()} on its own hijacking thread and copies it to
 * the container's stdin). docker-java takes an {@code InputStream} for an attach's stdin, the pump writes
 * to an {@code OutputStream}: this joins them with backpressure (a write blocks while {@value #CAPACITY}
 * bytes wait), so a program that does not read holds its input back in the engine's bounded buffer.
 *
 * <p>Closing the sink ends the source after what is buffered ({@code -1}); {@link #abort()} (the run is
 * over) ends it at once and makes further writes fail. The first {@code -1} runs {@code onEnd}.
 *
 * <p>docker-java's hijacking thread throws a {@code RuntimeException} out of its run method when the
 * connection breaks under it (the container exited while it wrote), which the default handler would print
 * to stderr; the source gives the thread that reads it a handler that logs at debug level instead.
 */
final class InputPipe {

    private static final Logger log = LoggerFactory.getLogger(InputPipe.class);
    static final int CAPACITY = 64 * 1024;

    private final byte[] buffer = new byte[CAPACITY];
    private final Runnable onEnd;
    private int head; // guarded by this
    private int count; // guarded by this
    private boolean closed; // guarded by this
    private boolean aborted; // guarded by this
    private boolean ended; // guarded by this

    InputPipe(Runnable onEnd) {
        this.onEnd = Objects.requireNonNull(onEnd, "onEnd");
    }

    /** Bytes written and not yet read (tests). */
    synchronized int buffered() {
        return count;
    }

    /** Ends the pipe now: the reader gets {@code -1}, writers fail. Idempotent. */
    void abort() {
        synchronized (this) {
            aborted = true;
            notifyAll();
        }
    }

    private void write(byte[] bytes, int offset, int length) throws IOException {
        int written = 0;
        while (written < length) {
            int n;
            synchronized (this) {
                while (count == CAPACITY && !aborted && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while the program's input was full");
                    }
                }
                if (aborted || closed) {
                    throw new IOException("the program's input is closed");
                }
                int tail = (head + count) % CAPACITY;
                n = Math.min(length - written, Math.min(CAPACITY - count, CAPACITY - tail));
                System.arraycopy(bytes, offset + written, buffer, tail, n);
                count += n;
                notifyAll();
            }
            written += n;
        }
    }

    private int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        boolean fireEnd = false;
        int n;
        synchronized (this) {
            while (count == 0 && !closed && !aborted) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }
            if (aborted || count == 0) {
                fireEnd = !ended;
                ended = true;
                n = -1;
            } else {
                n = Math.min(length, Math.min(count, CAPACITY - head));
                System.arraycopy(buffer, head, bytes, offset, n);
                head = (head + n) % CAPACITY;
                count -= n;
                notifyAll();
            }
        }
        if (fireEnd) {
            onEnd.run();
        }
        return n;
    }

    /** The end the pump writes to; {@code close()} ends the input after what is buffered. */
    OutputStream sink() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                InputPipe.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                InputPipe.this.write(b, off, len);
            }

            @Override
            public void close() {
                synchronized (InputPipe.this) {
                    closed = true;
                    InputPipe.this.notifyAll();
                }
            }
        };
    }

    /** The end docker-java reads (from its hijacking thread). */
    InputStream source() {
        return new InputStream() {
            private boolean handlerSet;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                if (!handlerSet) {
                    handlerSet = true;
                    Thread.currentThread()
                            .setUncaughtExceptionHandler((thread, e) ->
                                    log.debug("attach input of {} ended: {}", thread.getName(), Images.rootMessage(e)));
                }
                return InputPipe.this.read(b, off, len);
            }

            @Override
            public void close() {
                abort();
            }
        };
    }
}
