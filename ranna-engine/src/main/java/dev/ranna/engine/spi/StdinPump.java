package dev.ranna.engine.spi;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that copies a run's {@link StdinSource} into the program's input, as every sandbox needs
 * one: it writes each piece as soon as the source has it (and flushes), so an interactive program sees a
 * line the moment the client sent it, and it blocks while the program does not read, which leaves the
 * rest waiting in the engine's bounded buffer.
 *
 * <p>At the end of input it either closes the target (a pipe: the program reads EOF) or, on a terminal,
 * writes the terminal's end-of-file character (Ctrl-D, {@code 0x04}): closing a terminal's master would
 * hang the program up instead. Like a typed Ctrl-D, it ends input at the start of a line and otherwise
 * hands the line over without its newline.
 *
 * <p>Once the program stops taking input (it closed its input or exited; the write fails), the pump
 * keeps reading and discards, so a client's later input is dropped as a closed pipe would drop it rather
 * than filling the engine's buffer. {@link #close()} stops it; call it after the program has exited.
 */
public final class StdinPump implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StdinPump.class);
    private static final int CHUNK = 8192;
    private static final byte END_OF_TRANSMISSION = 0x04;

    /** What the pump does when the input ends. */
    public enum AtEnd {
        /** Close the target: the program reads EOF (pipes, a container's non-terminal stdin). */
        CLOSE,
        /** Write the terminal's end-of-file character and leave the target open (a terminal's master). */
        TERMINAL_EOF
    }

    private final Thread thread;
    private final StdinSource source;
    private final OutputStream target;
    private final AtEnd atEnd;

    private StdinPump(String name, StdinSource source, OutputStream target, AtEnd atEnd) {
        this.source = source;
        this.target = target;
        this.atEnd = atEnd;
        this.thread = new Thread(this::pump, name);
        this.thread.setDaemon(true);
    }

    /**
     * Starts a pump on a new daemon thread named {@code name}. For {@link StdinSource#EMPTY} with {@link
     * AtEnd#CLOSE} no thread is started: the target is closed at once.
     */
    public static StdinPump start(String name, StdinSource source, OutputStream target, AtEnd atEnd) {
        var pump = new StdinPump(
                Objects.requireNonNull(name, "name"),
                Objects.requireNonNull(source, "source"),
                Objects.requireNonNull(target, "target"),
                Objects.requireNonNull(atEnd, "atEnd"));
        if (source == StdinSource.EMPTY && atEnd == AtEnd.CLOSE) {
            pump.closeTarget();
        } else {
            pump.thread.start();
        }
        return pump;
    }

    private void pump() {
        byte[] buffer = new byte[CHUNK];
        boolean open = true;
        try {
            while (true) {
                int n = source.read(buffer, 0, buffer.length);
                if (n < 0) {
                    if (open) {
                        end();
                    }
                    return;
                }
                if (open) {
                    try {
                        target.write(buffer, 0, n);
                        target.flush();
                    } catch (IOException e) {
                        // The program closed its input or is gone: drop what follows, as a closed pipe would.
                        log.debug("program input closed: {}", e.toString());
                        open = false;
                        closeTarget();
                    }
                }
            }
        } catch (InterruptedException e) {
            // close(): the run is over.
        }
    }

    private void end() {
        if (atEnd == AtEnd.CLOSE) {
            closeTarget();
            return;
        }
        try {
            target.write(END_OF_TRANSMISSION);
            target.flush();
        } catch (IOException e) {
            log.debug("program input closed: {}", e.toString());
        }
    }

    private void closeTarget() {
        try {
            target.close();
        } catch (IOException e) {
            log.debug("closing program input: {}", e.toString());
        }
    }

    /**
     * Stops the pump: interrupts a wait for input and waits up to two seconds for the thread to end (a
     * write blocked on a program that still runs ends only when the program's input is closed or the
     * program is gone, so call this after the program has exited). Does not close the target. Idempotent.
     */
    @Override
    public void close() {
        if (!thread.isAlive()) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (thread.isAlive()) {
            log.warn("stdin pump {} did not stop within 2 s", thread.getName());
        }
    }
}
