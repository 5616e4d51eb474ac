package dev.ranna.engine;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.StdStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One EXEC from admission to STOP, and its output path: sandbox bytes -> UTF-8 chunker -> coalescer
 * -> LOG events.
 *
 * <p>Every event of the run is sent while holding {@link #lock}, so SPAWN, LOG..., ERROR?, STOP reach
 * the sink in order and nothing follows the STOP. Sandbox output threads block in {@link #write} while
 * the client's sink is not writable.
 */
final class Run implements OutputSink {
    private static final Logger log = LoggerFactory.getLogger(Run.class);

    /** Extra time the sandbox gets to enforce the timeout itself before the engine kills the run. */
    private static final Duration TIMEOUT_GRACE = Duration.ofSeconds(3);

    /**
     * How long a killed run's sandbox may take to report the end before the engine gives up on it and
     * sends ERROR 500 + STOP itself, so that every EXEC ends even when a sandbox loses track of a run.
     */
    static final Duration KILL_GRACE = Duration.ofSeconds(5);

    /** How often a writer blocked on backpressure re-checks, in case a writability signal was missed. */
    private static final long BACKPRESSURE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    enum State {
        QUEUED,
        STARTING,
        RUNNING,
        STOPPED
    }

    enum KillReason {
        CLIENT,
        TIMEOUT,
        OUTPUT_LIMIT,
        SHUTDOWN
    }

    private final EngineCore core;
    private final DefaultEngineSession session;
    private final Nonce nonce;
    /** As submitted: for an inline expression, the code is the expression, expanded in {@link #begin}. */
    private final SandboxRequest request;

    private final boolean inlineExpression;
    private final long admittedNanos = System.nanoTime();

    final ReentrantLock lock = new ReentrantLock();
    private final Condition writable = lock.newCondition();

    // Guarded by lock.
    private State state = State.QUEUED;
    private @Nullable Execution execution;
    private @Nullable KillReason killReason;
    private @Nullable ScheduledFuture<?> backstop;
    private @Nullable ScheduledFuture<?> flushTask;
    private final Utf8Chunker stdout = new Utf8Chunker();
    private final Utf8Chunker stderr = new Utf8Chunker();
    private @Nullable StdStream pendingStream;
    private final StringBuilder pending = new StringBuilder();
    private long outputBytes;
    private boolean outputClosed;

    Run(EngineCore core, DefaultEngineSession session, Nonce nonce, SandboxRequest request, boolean inlineExpression) {
        this.core = core;
        this.session = session;
        this.nonce = nonce;
        this.request = request;
        this.inlineExpression = inlineExpression;
    }

    RunId id() {
        return request.runId();
    }

    Nonce nonce() {
        return nonce;
    }

    DefaultEngineSession session() {
        return session;
    }

    /** The client whose share of the capacity this run takes. */
    String clientKey() {
        return session.clientKey();
    }

    boolean isKillable() {
        lock.lock();
        try {
            return state == State.STARTING || state == State.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends SPAWN and starts the program. Runs on an engine executor thread; may block in the sandbox.
     * Work proportional to the user's input (inline expansion) happens here too, never on the thread
     * that handed the EXEC to the session, which is typically a network event loop.
     */
    void begin() {
        SandboxRequest toStart;
        try {
            toStart = inlineExpression ? expandInline() : request;
        } catch (RuntimeException | StackOverflowError e) {
            log.debug("run {}: inline expansion failed: {}", id(), e.toString());
            endBeforeSpawn(Event.Error.of(
                    nonce, ErrorCode.BAD_REQUEST, "inline expression: the spec's template could not be applied"));
            return;
        }
        boolean cancelled = false;
        lock.lock();
        try {
            if (state != State.QUEUED) {
                return;
            }
            if (killReason != null) {
                // Killed (session closed, engine shut down) between leaving the queue and starting.
                state = State.STOPPED;
                cancelled = true;
            } else {
                state = State.STARTING;
                core.metrics().started(Duration.ofNanos(System.nanoTime() - admittedNanos));
                session.send(new Event.Spawn(nonce, id()));
            }
        } finally {
            lock.unlock();
        }
        if (cancelled) {
            session.runEnded(this);
            core.releaseSlot(this);
            return;
        }

        Execution started;
        try {
            started = core.sandbox().start(toStart, this);
            if (started == null) {
                throw new IllegalStateException("sandbox returned no execution");
            }
        } catch (Exception | LinkageError e) {
            finish(null, e);
            return;
        }

        boolean killNow;
        lock.lock();
        try {
            execution = started;
            if (state == State.STARTING) {
                state = State.RUNNING;
            }
            killNow = killReason != null;
            backstop = core.timer()
                    .schedule(
                            () -> kill(KillReason.TIMEOUT),
                            request.timeout().plus(TIMEOUT_GRACE).toMillis(),
                            TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
        if (killNow) {
            killExecution(started);
        }
        started.exit().whenComplete(this::finish);
    }

    private SandboxRequest expandInline() {
        var inline = Objects.requireNonNull(request.spec().inline(), "inline");
        String code = InlineExpander.expand(inline, request.code());
        return new SandboxRequest(
                request.runId(), request.spec(), code, request.arguments(), request.environment(), request.timeout());
    }

    /** Ends a run that got a slot but will not start: only {@code error} (if its client still listens). */
    private void endBeforeSpawn(Event.Error error) {
        lock.lock();
        try {
            if (state != State.QUEUED) {
                return;
            }
            state = State.STOPPED;
            if (killReason == null) {
                session.send(error);
            }
        } finally {
            lock.unlock();
        }
        session.runEnded(this);
        core.releaseSlot(this);
    }

    /** Kills the run for {@code reason}; the first reason given is the one reported. Never blocks. */
    void kill(KillReason reason) {
        Execution target;
        lock.lock();
        try {
            if (state == State.STOPPED || killReason != null) {
                return;
            }
            killReason = reason;
            writable.signalAll();
            target = execution;
        } finally {
            lock.unlock();
        }
        if (target != null) {
            killExecution(target);
        }
    }

    private void killExecution(Execution target) {
        try {
            target.kill();
        } catch (RuntimeException e) {
            log.warn("run {}: kill failed", id(), e);
        }
        try {
            core.timer().schedule(this::giveUpOnSandbox, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Engine closing: it closes the sandbox, which ends its runs.
        }
    }

    private void giveUpOnSandbox() {
        finish(
                null,
                new SandboxException(
                        "the sandbox did not end the run within " + KILL_GRACE.toSeconds() + " s of killing it"));
    }

    /** Ends a run that never left the queue: only an ERROR (or nothing, if its session is gone). */
    void cancelQueued(Event.@Nullable Error reason) {
        lock.lock();
        try {
            if (state != State.QUEUED) {
                return;
            }
            state = State.STOPPED;
            if (reason != null) {
                session.send(reason);
            }
        } finally {
            lock.unlock();
        }
        session.runEnded(this);
    }

    /**
     * Wakes a writer blocked on backpressure. Called on the event loop, so it never waits for the lock: when
     * the lock is busy (typically the writer itself, between its writability check and its wait), the
     * signal is handed to the timer thread instead of being dropped, which would leave the writer asleep
     * for a whole poll interval (seen in the streaming benchmark: most of a fast client's time was such
     * 20 ms waits).
     */
    void signalWritable() {
        if (lock.tryLock()) {
            try {
                writable.signalAll();
            } finally {
                lock.unlock();
            }
        } else {
            try {
                core.timer().execute(this::signalWritableBlocking);
            } catch (RejectedExecutionException e) {
                // Engine closing: the runs are being killed, which wakes their writers.
            }
        }
    }

    private void signalWritableBlocking() {
        lock.lock();
        try {
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // --- output ----------------------------------------------------------------------------------

    @Override
    public void write(StdStream stream, byte[] bytes, int offset, int length) {
        boolean overLimit = false;
        lock.lock();
        try {
            while (!session.isWritable() && killReason == null && state != State.STOPPED && !session.isClosed()) {
                writable.awaitNanos(BACKPRESSURE_POLL_NANOS);
            }
            if (outputClosed || state == State.STOPPED) {
                return;
            }
            long budget = core.limits().maxOutputBytes() - outputBytes;
            int take = (int) Math.min(length, budget);
            if (take > 0) {
                outputBytes += take;
                core.metrics().output(take);
                append(stream, chunker(stream).decode(bytes, offset, take));
            }
            if (take < length) {
                outputClosed = true;
                flushLocked();
                overLimit = true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        if (overLimit) {
            kill(KillReason.OUTPUT_LIMIT);
        }
    }

    private Utf8Chunker chunker(StdStream stream) {
        return stream == StdStream.STDOUT ? stdout : stderr;
    }

    private void append(StdStream stream, String text) {
        if (text.isEmpty()) {
            return;
        }
        if (pendingStream != null && pendingStream != stream) {
            flushLocked();
        }
        pendingStream = stream;
        pending.append(text);
        if (pending.length() >= core.limits().coalesceBytes()
                || core.limits().coalesceDelay().isZero()) {
            flushLocked();
        } else if (flushTask == null) {
            flushTask = core.timer()
                    .schedule(this::timedFlush, core.limits().coalesceDelay().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void timedFlush() {
        lock.lock();
        try {
            flushTask = null;
            if (state != State.STOPPED) {
                flushLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    private void flushLocked() {
        if (flushTask != null) {
            flushTask.cancel(false);
            flushTask = null;
        }
        if (pending.length() == 0 || pendingStream == null) {
            return;
        }
        int max = core.limits().coalesceBytes();
        int start = 0;
        while (start < pending.length()) {
            int end = Math.min(pending.length(), start + max);
            if (end < pending.length() && Character.isHighSurrogate(pending.charAt(end - 1))) {
                end--;
            }
            session.send(new Event.Log(nonce, id(), pendingStream, pending.substring(start, end)));
            start = end;
        }
        pending.setLength(0);
    }

    // --- end -------------------------------------------------------------------------------------

    private void finish(@Nullable ExitStatus status, @Nullable Throwable failure) {
        String outcome;
        Duration programTime;
        lock.lock();
        try {
            if (state == State.STOPPED) {
                return;
            }
            if (backstop != null) {
                backstop.cancel(false);
            }
            append(StdStream.STDOUT, stdout.finish());
            append(StdStream.STDERR, stderr.finish());
            flushLocked();
            outputClosed = true;

            programTime = status != null ? status.elapsed() : Duration.ZERO;
            boolean timedOut = killReason == KillReason.TIMEOUT || (status != null && status.timedOut());
            boolean truncated = killReason == KillReason.OUTPUT_LIMIT;
            boolean killed = killReason == KillReason.CLIENT
                    || killReason == KillReason.SHUTDOWN
                    || (killReason == null && status != null && status.killed() && !timedOut);
            Event.Error error = null;
            if (failure != null) {
                error = ErrorMapper.toEvent(nonce, id(), failure);
                outcome = "failed";
            } else if (timedOut) {
                error = Event.Error.of(nonce, ErrorCode.TIMEOUT, "code execution timed out");
                outcome = "timedout";
            } else if (truncated) {
                error = Event.Error.of(nonce, ErrorCode.TOO_LARGE, "output limit exceeded");
                outcome = "truncated";
            } else {
                outcome = killed ? "killed" : "exited";
            }
            if (status != null && status.oomKilled()) {
                log.info("run {}: killed for exceeding its memory limit", id());
            }
            var result = new RunResult(
                    programTime.toMillis(),
                    status != null ? status.exitCode() : null,
                    status != null ? status.signal() : null,
                    timedOut,
                    killed,
                    truncated);
            state = State.STOPPED;
            writable.signalAll();
            // Free the run's places before the client hears STOP, so an EXEC sent in reply to it is
            // not refused for a capacity this run no longer uses.
            core.metrics().finished(outcome, programTime);
            session.runEnded(this);
            core.releaseSlot(this);
            if (error != null) {
                session.send(error);
            }
            session.send(new Event.Stop(nonce, id(), result));
        } finally {
            lock.unlock();
        }
    }
}
