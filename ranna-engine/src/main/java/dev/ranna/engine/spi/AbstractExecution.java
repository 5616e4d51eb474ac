package dev.ranna.engine.spi;

import dev.ranna.protocol.StdStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The skeleton every {@link Execution} needs, so a sandbox writes only how it kills and how it learns
 * the end: an exit future completed exactly once, a kill that acts once and never blocks, output handed
 * to the engine's {@link OutputSink} with a failing sink ending the run, and the rule that {@link
 * #exit()} completes only after the last write.
 *
 * <p>A subclass starts its readers, calls {@link #output} from them (each stream from one thread), and
 * once the program has exited, every reader has returned and its resources are released, calls {@link
 * #complete} (or {@link #fail}). It implements {@link #killProgram()}.
 *
 * <p>Thread-safe. Later features of the SPI (standard input, signals, a terminal's size) arrive as
 * methods of {@link Execution} with defaults, which a subclass overrides when its sandbox supports them.
 */
public abstract class AbstractExecution implements Execution {
    private static final Logger log = LoggerFactory.getLogger(AbstractExecution.class);

    /**
     * Output delivered after {@link #kill()}, at most: what the program wrote before it died and the
     * readers had not read yet (a pipe's 64 KiB per stream, and a reader's buffer). Past it, output is
     * what the program wrote while the kill travelled, and is dropped, so how much more a flood gets
     * through never depends on how fast a loaded machine delivers a SIGKILL.
     */
    static final long MAX_OUTPUT_AFTER_KILL = 256 * 1024;

    private final OutputSink sink;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final AtomicBoolean killRequested = new AtomicBoolean();
    private final AtomicReference<@Nullable Throwable> sinkFailure = new AtomicReference<>();
    private final AtomicLong afterKill = new AtomicLong();

    /** @param sink where the run's output goes; see {@link #output} */
    protected AbstractExecution(OutputSink sink) {
        this.sink = sink;
    }

    /** The exit future; {@code toCompletableFuture()} gives the sandbox the same future to wait on. */
    @Override
    public final CompletionStage<ExitStatus> exit() {
        return exit;
    }

    /**
     * Kills the program once: the first call (before exit) runs {@link #killProgram()}, later calls and
     * calls after exit do nothing. Never blocks.
     */
    @Override
    public final void kill() {
        if (exit.isDone() || !killRequested.compareAndSet(false, true)) {
            return;
        }
        try {
            killProgram();
        } catch (RuntimeException e) {
            log.warn("kill failed", e);
        }
    }

    /** Whether {@link #kill()} was called (then the program's end is usually a {@code SIGKILL}). */
    protected final boolean killRequested() {
        return killRequested.get();
    }

    /**
     * Kills the program and everything it started, without blocking (hand slow work to another
     * thread) and without taking a lock a reader blocked in {@link #output} may hold. Called at most
     * once.
     */
    protected abstract void killProgram();

    /**
     * Hands output to the engine; may block on backpressure (so call it from the stream's reader,
     * never while holding a lock {@link #killProgram()} needs). After the sink failed once, output is
     * dropped (keep reading, so the program does not block on a full pipe): the run is killed and
     * {@link #exit()} completes with the sink's failure. After {@link #kill()}, at most {@value
     * #MAX_OUTPUT_AFTER_KILL} more bytes reach the sink; the rest is dropped the same way.
     */
    protected final void output(StdStream stream, byte[] bytes, int offset, int length) {
        if (length == 0 || sinkFailure.get() != null) {
            return;
        }
        if (killRequested.get()) {
            long before = afterKill.getAndAdd(length);
            if (before >= MAX_OUTPUT_AFTER_KILL) {
                return;
            }
            length = (int) Math.min(length, MAX_OUTPUT_AFTER_KILL - before);
        }
        try {
            sink.write(stream, bytes, offset, length);
        } catch (RuntimeException | Error e) {
            if (sinkFailure.compareAndSet(null, e)) {
                kill();
            }
        }
    }

    /**
     * Completes {@link #exit()} with {@code status}, or with the sink's failure if it failed. Call once,
     * after the last {@link #output} returned and the run's resources are released.
     */
    protected final void complete(ExitStatus status) {
        Throwable failure = sinkFailure.get();
        if (failure != null) {
            exit.completeExceptionally(failure);
        } else {
            exit.complete(status);
        }
    }

    /**
     * Completes {@link #exit()} exceptionally: the sandbox failed while the program ran (the engine
     * reports an ERROR 500, or the code of a {@link SandboxException}). Same rules as {@link #complete}.
     */
    protected final void fail(Throwable failure) {
        exit.completeExceptionally(failure);
    }
}
