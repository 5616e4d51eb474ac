package dev.ranna.sandbox.tck;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.protocol.StdStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * An {@link OutputSink} that records what a sandbox wrote and checks the sink contract while doing so.
 *
 * <p>It keeps the bytes of each stream (up to a cap, counting the rest), the sequence of calls, and a
 * list of <em>violations</em>: a call after {@link Execution#exit()} completed, two concurrent calls for
 * the same stream, or an offset and length outside the array; and for {@link #compiled}: a second call,
 * a call after exit completed, or one concurrent with a write. The TCK asserts that list is empty; a
 * provider author's own tests can use the class the same way. It also keeps every {@link #compiled} call
 * with the output that had arrived when it came ({@link #compiledCalls()}, {@link #stdoutAtCompiled()}).
 *
 * <p>Two behaviours can be switched on to test a sandbox under pressure: {@link #killingAfter(long)}
 * makes the sink call {@link Execution#kill()} from the sandbox's own thread once that many bytes
 * arrived (as the engine does at its output cap), and {@link #blockingUntil(CountDownLatch)} makes the
 * first call block until a latch opens (a slow client).
 *
 * <p>Thread-safe: the sandbox writes from its threads while the test reads. Call {@link
 * #attach(Execution)} with the execution as soon as {@link dev.ranna.engine.spi.Sandbox#start} returns,
 * so the sink knows when exit completed and whom to kill.
 */
public final class RecordingOutputSink implements OutputSink {

    /**
     * How much of each stream is kept (16 MiB); the rest is only counted, so a runaway program cannot
     * exhaust the heap.
     */
    public static final int DEFAULT_KEPT_BYTES = 16 * 1024 * 1024;

    /**
     * One call to {@link #write}.
     *
     * @param stream the stream written
     * @param length how many bytes
     * @param afterKill whether the sink had already asked for the kill when the call came
     */
    public record Call(StdStream stream, int length, boolean afterKill) {}

    private final Object lock = new Object();
    private final PerStream stdoutState = new PerStream();
    private final PerStream stderrState = new PerStream();
    private final List<Call> calls = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final CountDownLatch firstWriteEntered = new CountDownLatch(1);
    private final CountDownLatch lateWrite = new CountDownLatch(1);
    private final long killAfterBytes;
    private final @Nullable CountDownLatch gate;
    private final int keptBytes;
    private final long delayNanos;

    private @Nullable Execution execution;
    private boolean exited;
    private byte @Nullable [] stdoutAtExit;
    /** Completes once the output present at exit has been kept (after {@code exit()} completes). */
    private final CompletableFuture<Void> exitRecorded = new CompletableFuture<>();

    private byte @Nullable [] stderrAtExit;
    private final List<ExitStatus> compiledCalls = new ArrayList<>();
    private byte @Nullable [] stdoutAtCompiled;
    private byte @Nullable [] stderrAtCompiled;
    private boolean killRequested;
    private long bytesWhenKilled = -1;
    private boolean gateUsed;

    private RecordingOutputSink(long killAfterBytes, @Nullable CountDownLatch gate, long delayNanos) {
        this.killAfterBytes = killAfterBytes;
        this.gate = gate;
        this.keptBytes = DEFAULT_KEPT_BYTES;
        this.delayNanos = delayNanos;
    }

    /** A sink that records everything and never blocks. */
    public static RecordingOutputSink create() {
        return new RecordingOutputSink(Long.MAX_VALUE, null, 0);
    }

    /**
     * A sink that calls {@link Execution#kill()} from inside {@link #write} once at least {@code bytes}
     * bytes (both streams together) have arrived, or from {@link #attach} if they arrived before it.
     */
    public static RecordingOutputSink killingAfter(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0: " + bytes);
        }
        return new RecordingOutputSink(bytes, null, 0);
    }

    /**
     * A sink whose first call to {@link #write} blocks until {@code release} opens (at most two minutes),
     * as a slow client would. {@link #awaitFirstWrite(Duration)} tells when that call has begun.
     */
    public static RecordingOutputSink blockingUntil(CountDownLatch release) {
        return new RecordingOutputSink(Long.MAX_VALUE, release, 0);
    }

    /**
     * A sink that takes {@code perWrite} over every call before it records the bytes, as a slow consumer
     * would. Output the program wrote just before exiting is then still on its way when the program is
     * gone, which shows whether {@link Execution#exit()} waits for it.
     */
    public static RecordingOutputSink slowedBy(Duration perWrite) {
        if (perWrite.isNegative()) {
            throw new IllegalArgumentException("perWrite must be >= 0: " + perWrite);
        }
        return new RecordingOutputSink(Long.MAX_VALUE, null, perWrite.toNanos());
    }

    /**
     * Tells the sink which execution it belongs to; call it once, right after {@code start} returned.
     * From then on a call that comes after {@code exit()} completed is a violation, and the output present
     * at that moment is kept for {@link #stdoutAtExit()}.
     */
    public void attach(Execution execution) {
        boolean killNow;
        synchronized (lock) {
            if (this.execution != null) {
                throw new IllegalStateException("already attached");
            }
            this.execution = execution;
            killNow = shouldKillLocked();
        }
        if (killNow) {
            execution.kill();
        }
        execution.exit().whenComplete((status, failure) -> {
            synchronized (lock) {
                exited = true;
                stdoutAtExit = stdoutState.kept.toByteArray();
                stderrAtExit = stderrState.kept.toByteArray();
            }
            exitRecorded.complete(null);
        });
    }

    /**
     * Completes once the output present when {@code exit()} completed has been kept. A thread woken by
     * {@code exit()} itself may run before that snapshot is taken (the completing thread runs the
     * future's dependents one by one), so whoever reads {@link #stdoutAtExit()} right after an exit waits
     * for this first.
     */
    CompletableFuture<Void> exitRecorded() {
        return exitRecorded;
    }

    @Override
    public void write(StdStream stream, byte[] bytes, int offset, int length) {
        PerStream state = state(stream);
        AtomicBoolean busy = state.writing;
        if (!busy.compareAndSet(false, true)) {
            violation("two concurrent write calls for " + stream);
        }
        try {
            if (offset < 0 || length < 0 || offset > bytes.length - length) {
                violation("write(" + stream + ", byte[" + bytes.length + "], " + offset + ", " + length
                        + ") is out of the array's bounds");
                return;
            }
            firstWriteEntered.countDown();
            blockIfGated();
            if (delayNanos > 0) {
                LockSupport.parkNanos(delayNanos);
            }
            Execution toKill;
            synchronized (lock) {
                if (exited) {
                    violations.add("write(" + stream + ", " + length + " bytes) after exit() completed");
                    lateWrite.countDown();
                }
                calls.add(new Call(stream, length, killRequested));
                ByteArrayOutputStream out = state.kept;
                int keep = Math.max(0, Math.min(length, keptBytes - out.size()));
                out.write(bytes, offset, keep);
                state.total += length;
                toKill = shouldKillLocked() ? execution : null;
                lock.notifyAll();
            }
            if (toKill != null) {
                toKill.kill();
            }
        } finally {
            busy.set(false);
        }
    }

    /**
     * Records the end of the compile stage with the output that had arrived by then; a second call, a call
     * after {@code exit()} completed, or a call while a {@link #write} is in progress is a violation.
     */
    @Override
    public void compiled(ExitStatus compile) {
        if (stdoutState.writing.get() || stderrState.writing.get()) {
            violation("compiled(" + compile + ") while a write call was in progress");
        }
        synchronized (lock) {
            if (exited) {
                violations.add("compiled(" + compile + ") after exit() completed");
            }
            if (!compiledCalls.isEmpty()) {
                violations.add("compiled(" + compile + ") called again, after compiled(" + compiledCalls.get(0) + ")");
            } else {
                stdoutAtCompiled = stdoutState.kept.toByteArray();
                stderrAtCompiled = stderrState.kept.toByteArray();
            }
            compiledCalls.add(compile);
            lock.notifyAll();
        }
    }

    /** The statuses {@link #compiled} was called with, in order (a conforming sandbox calls it at most once). */
    public List<ExitStatus> compiledCalls() {
        synchronized (lock) {
            return List.copyOf(compiledCalls);
        }
    }

    /** The standard output that had arrived at the first {@link #compiled} call, or null if none came. */
    public byte @Nullable [] stdoutAtCompiled() {
        synchronized (lock) {
            return stdoutAtCompiled;
        }
    }

    /** The standard error that had arrived at the first {@link #compiled} call, or null if none came. */
    public byte @Nullable [] stderrAtCompiled() {
        synchronized (lock) {
            return stderrAtCompiled;
        }
    }

    /** One stream's kept bytes and total (guarded by the lock) and its write-in-progress flag. */
    private static final class PerStream {
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        final AtomicBoolean writing = new AtomicBoolean();
        long total;
    }

    private PerStream state(StdStream stream) {
        switch (stream) {
            case STDOUT:
                return stdoutState;
            case STDERR:
                return stderrState;
        }
        throw new AssertionError(stream);
    }

    private void blockIfGated() {
        if (gate == null) {
            return;
        }
        synchronized (lock) {
            if (gateUsed) {
                return;
            }
            gateUsed = true;
        }
        try {
            if (!gate.await(2, TimeUnit.MINUTES)) {
                violation("the blocking sink was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean shouldKillLocked() {
        if (killRequested || execution == null || totalLocked() < killAfterBytes) {
            return false;
        }
        killRequested = true;
        bytesWhenKilled = totalLocked();
        return true;
    }

    private long totalLocked() {
        return stdoutState.total + stderrState.total;
    }

    private void violation(String message) {
        synchronized (lock) {
            violations.add(message);
        }
    }

    /** The kept bytes of {@code stream} so far. */
    public byte[] bytes(StdStream stream) {
        synchronized (lock) {
            return state(stream).kept.toByteArray();
        }
    }

    /** The kept standard output so far, as bytes. */
    public byte[] stdoutBytes() {
        return bytes(StdStream.STDOUT);
    }

    /** The kept standard error so far, as bytes. */
    public byte[] stderrBytes() {
        return bytes(StdStream.STDERR);
    }

    /** The kept standard output so far, decoded as UTF-8. */
    public String stdout() {
        return new String(stdoutBytes(), StandardCharsets.UTF_8);
    }

    /** The kept standard error so far, decoded as UTF-8. */
    public String stderr() {
        return new String(stderrBytes(), StandardCharsets.UTF_8);
    }

    /** How many bytes of {@code stream} arrived, including any beyond the kept cap. */
    public long total(StdStream stream) {
        synchronized (lock) {
            return state(stream).total;
        }
    }

    /** How many bytes arrived on both streams together. */
    public long total() {
        synchronized (lock) {
            return totalLocked();
        }
    }

    /** The calls so far, in the order they were made. */
    public List<Call> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    /** The contract violations seen so far; empty for a conforming sandbox. */
    public List<String> violations() {
        synchronized (lock) {
            return Collections.unmodifiableList(new ArrayList<>(violations));
        }
    }

    /**
     * The standard output that had arrived when {@code exit()} completed, or null if it has not
     * completed (or {@link #attach} was not called).
     */
    public byte @Nullable [] stdoutAtExit() {
        synchronized (lock) {
            return stdoutAtExit;
        }
    }

    /** The standard error that had arrived when {@code exit()} completed, or null as for {@link #stdoutAtExit()}. */
    public byte @Nullable [] stderrAtExit() {
        synchronized (lock) {
            return stderrAtExit;
        }
    }

    /** Whether the sink has called {@link Execution#kill()}. */
    public boolean killRequested() {
        synchronized (lock) {
            return killRequested;
        }
    }

    /** How many bytes had arrived when the sink asked for the kill, or -1 if it has not. */
    public long bytesWhenKilled() {
        synchronized (lock) {
            return bytesWhenKilled;
        }
    }

    /** Waits up to {@code timeout} for the first call to {@link #write} to begin; returns whether it did. */
    public boolean awaitFirstWrite(Duration timeout) throws InterruptedException {
        return firstWriteEntered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits up to {@code timeout} for a call that comes after exit completed; returns whether one came.
     * A conforming sandbox makes this wait the whole timeout and return false.
     */
    public boolean awaitWriteAfterExit(Duration timeout) throws InterruptedException {
        return lateWrite.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Polls until the kept standard output satisfies {@code condition} or {@code timeout} passes; returns
     * whether it did.
     */
    public boolean awaitStdout(Predicate<String> condition, Duration timeout) throws InterruptedException {
        return awaitOutput(StdStream.STDOUT, condition, timeout);
    }

    /**
     * Polls until the kept output of {@code stream}, decoded as UTF-8, satisfies {@code condition} or
     * {@code timeout} passes; returns whether it did.
     */
    public boolean awaitOutput(StdStream stream, Predicate<String> condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                if (condition.test(state(stream).kept.toString(StandardCharsets.UTF_8))) {
                    return true;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                // Woken by the next write; the bound only re-checks the deadline.
                lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(remaining), 100)));
            }
        }
    }
}
