package dev.ranna.engine;

import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One run's output path, the only one: backpressure -> output budget -> UTF-8 check -> coalescer -> LOG
 * events, all on bytes: a program's output reaches the LOG as the UTF-8 it wrote, never as a {@code String}.
 *
 * <ol>
 *   <li><b>Backpressure</b>: a writer first waits on the session's {@link Writability} while the client
 *       does not keep up, so the sandbox's reader parks and the program blocks on its full pipe. The wait
 *       ends when the run is ending (a KILL, the timeout), so a parked writer never holds up a kill.
 *   <li><b>Budget</b>: at most the run's output limit ({@link RunLimits#maxOutputBytes()}, or the run's own
 *       {@code limits.outputbytes}) bytes are taken, compile and run stage together; the write that crosses
 *       it is cut there, the pipeline closes and the write reports the overflow (the run then ends with
 *       413).
 *   <li><b>UTF-8</b>: a {@link Utf8Chunker} per stream keeps a character split across reads whole and
 *       replaces ill-formed bytes, appending straight into the coalescer's buffer.
 *   <li><b>Coalescer</b>: output after a quiet spell (nothing sent for {@link RunLimits#coalesceDelay()})
 *       is sent at once, so an interactive program's answer or prompt is not held back; what follows
 *       within the delay is gathered up to the chunk size or the end of the delay, whichever comes first.
 *       A burst of small writes therefore costs at most one LOG more than a purely delayed coalescer.
 *       Output right after the program took input ({@link #inputTaken()}) is sent at once too, as the
 *       answer to it, however busy the run was before. A change of stream flushes, so order is kept.
 *   <li><b>Chunk size</b>: {@link RunLimits#coalesceBytes()} to start with. Each time output fills a chunk
 *       before the delay ends (a flood) while the client keeps up, the next chunk may be twice as large, up
 *       to {@link RunLimits#maxCoalesceBytes()}: fewer, larger LOGs cost less per byte on both ends. A
 *       send for any other reason (the delay ended, a quiet spell, an answer) and a writer that waited a
 *       whole coalescing delay for the client bring it back to {@code coalesceBytes}. Backpressure itself
 *       is unchanged.
 * </ol>
 *
 * <p>Guarded by the run's lock, which it shares so that LOG events and the run's STOP are sent in one
 * order: {@link #write} takes it after the backpressure wait (never while waiting); {@link #finish} and
 * {@link #close} expect the caller to hold it.
 */
final class OutputPipeline {
    private final ReentrantLock lock;
    private final Writability writability;
    private final BooleanSupplier ending;
    private final EngineScheduler scheduler;
    private final EngineMetrics metrics;
    private final Consumer<Event> send;
    private final Nonce nonce;
    private final RunId runId;
    private final long maxBytes;
    private final int coalesceBytes;
    private final int maxCoalesceBytes;
    private final Duration coalesceDelay;

    // Guarded by lock.
    private final Utf8Chunker stdout = new Utf8Chunker();
    private final Utf8Chunker stderr = new Utf8Chunker();
    private @Nullable StdStream pendingStream;
    private final PendingOutput pending;
    /** The size of the next LOG chunk: {@link #coalesceBytes} up to {@link #maxCoalesceBytes}. */
    private int chunkBytes;

    private EngineScheduler.Scheduled flushTask = EngineScheduler.NONE;
    private boolean flushScheduled;
    private long taken;
    private boolean closed;
    /** The program took input since the last send: its next output is an answer, sent at once. */
    private volatile boolean answerDue;
    /** When output was last sent ({@link EngineScheduler#nanoTime()}); a quiet spell starts the run. */
    private long lastSent;
    /** The stage LOG events carry; null for a spec without a compile stage (no {@code stage} on the wire). */
    private @Nullable Stage stage;

    OutputPipeline(
            ReentrantLock lock,
            Writability writability,
            BooleanSupplier ending,
            EngineScheduler scheduler,
            EngineMetrics metrics,
            RunLimits limits,
            long maxBytes,
            @Nullable Stage stage,
            Consumer<Event> send,
            Nonce nonce,
            RunId runId) {
        this.lock = lock;
        this.writability = writability;
        this.ending = ending;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.send = send;
        this.nonce = nonce;
        this.runId = runId;
        this.maxBytes = maxBytes;
        this.stage = stage;
        this.coalesceBytes = limits.coalesceBytes();
        this.maxCoalesceBytes = Math.max(limits.coalesceBytes(), limits.maxCoalesceBytes());
        this.chunkBytes = coalesceBytes;
        this.pending = new PendingOutput(coalesceBytes);
        this.coalesceDelay = limits.coalesceDelay();
        this.lastSent = scheduler.nanoTime() - coalesceDelay.toNanos();
    }

    /**
     * Takes one read of the sandbox: may block on backpressure (not holding the run's lock).
     *
     * @return true if this write crossed the output budget: the pipeline is closed and the caller ends
     *     the run for its output limit
     */
    boolean write(StdStream stream, byte[] bytes, int offset, int length) {
        long waitStart = scheduler.nanoTime();
        boolean waited = writability.awaitWritable(ending);
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (waited && scheduler.nanoTime() - waitStart >= coalesceDelay.toNanos()) {
                // The client fell behind for a whole delay: no larger LOGs for it. A shorter wait is the
                // transport draining a LOG it just took, which a client that keeps up causes too.
                chunkBytes = coalesceBytes;
            }
            long budget = maxBytes - taken;
            int take = (int) Math.min(length, budget);
            if (take > 0) {
                taken += take;
                metrics.output(take);
                switchTo(stream);
                int before = pending.size();
                chunker(stream).decode(bytes, offset, take, pending);
                appended(pending.size() > before);
            }
            if (take < length) {
                flush(false);
                close();
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** The run ended: flushes what the decoders and the coalescer hold, then closes. Caller holds the lock. */
    void finish() {
        // Also after the budget closed the pipeline: a character the cut split ends as a replacement.
        finishStreams();
        flush(false);
        close();
    }

    /**
     * The compile stage ended and {@code next} begins: what the decoders and the coalescer hold is sent as
     * the old stage's (a character the compiler left incomplete ends as a replacement), so no LOG mixes
     * stages; later output carries {@code next}. The output budget is shared. Caller holds the lock.
     */
    void startStage(Stage next) {
        finishStreams();
        flush(false);
        stage = next;
    }

    /** Takes no more output and drops a pending timed flush. Caller holds the lock. */
    void close() {
        closed = true;
        cancelFlush();
    }

    private Utf8Chunker chunker(StdStream stream) {
        return stream == StdStream.STDOUT ? stdout : stderr;
    }

    /** A character cut at a stream's end becomes U+FFFD, in that stream's order. */
    private void finishStreams() {
        for (StdStream stream : List.of(StdStream.STDOUT, StdStream.STDERR)) {
            Utf8Chunker chunker = chunker(stream);
            if (chunker.holdsPartialCharacter()) {
                switchTo(stream);
                chunker.finish(pending);
                appended(true);
            }
        }
    }

    /**
     * Output of {@code stream} comes: what the other stream left pending goes first, so order is kept (also
     * when this read turns out to hold only the start of a character, which sends nothing yet).
     */
    private void switchTo(StdStream stream) {
        if (pendingStream != null && pendingStream != stream) {
            flush(false);
        }
        pendingStream = stream;
    }

    /** The coalescer's decision after a write: send now, or when the delay ends. */
    private void appended(boolean grew) {
        if (!grew) {
            return;
        }
        boolean full = pending.size() >= chunkBytes;
        if (full || coalesceDelay.isZero() || answerDue || (!flushScheduled && quiet())) {
            flush(full);
        } else if (!flushScheduled) {
            flushScheduled = true;
            flushTask = scheduler.schedule(this::timedFlush, coalesceDelay);
        }
    }

    /** The program took input (its standard input's reader): the next output is sent without waiting. */
    void inputTaken() {
        answerDue = true;
    }

    /** Nothing was sent for a whole coalescing delay: the next output is a new answer, not part of a burst. */
    private boolean quiet() {
        return scheduler.nanoTime() - lastSent >= coalesceDelay.toNanos();
    }

    private void timedFlush() {
        lock.lock();
        try {
            flushScheduled = false;
            flushTask = EngineScheduler.NONE;
            if (!closed) {
                flush(false); // the delay ended before a chunk filled: not a flood
            }
        } finally {
            lock.unlock();
        }
    }

    private void cancelFlush() {
        if (flushScheduled) {
            flushTask.cancel();
            flushTask = EngineScheduler.NONE;
            flushScheduled = false;
        }
    }

    /**
     * Sends what is pending as LOG chunks of the current size, split only between characters. {@code full}:
     * output filled a chunk before the delay ended (a flood), so the next chunk may be twice as large (a
     * writer that then waits a whole delay for the client brings it back, see {@link #write}); a send for any
     * other reason returns to {@link #coalesceBytes}.
     */
    private void flush(boolean full) {
        cancelFlush();
        if (!full) {
            chunkBytes = coalesceBytes;
        }
        StdStream stream = pendingStream;
        if (pending.size() == 0 || stream == null) {
            return;
        }
        int size = pending.size();
        int start = 0;
        while (start < size) {
            int end = pending.chunkEnd(start, chunkBytes);
            send.accept(new Event.Log(nonce, runId, stream, pending.text(start, end), stage));
            start = end;
        }
        pending.clear();
        lastSent = scheduler.nanoTime();
        answerDue = false;
        if (full && chunkBytes < maxCoalesceBytes) {
            chunkBytes = (int) Math.min((long) chunkBytes * 2, maxCoalesceBytes);
        }
    }

    /** The size of the next LOG chunk (tests). Caller holds the lock, or the test owns the pipeline. */
    int chunkBytes() {
        return chunkBytes;
    }
}
