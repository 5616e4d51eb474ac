package dev.ranna.engine;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One EXEC from admission to STOP: the run lifecycle, one state machine that alone owns the run's time
 * (its timeout, the grace a killed run's sandbox gets, the give-up after it) and why it ended.
 *
 * <pre>
 * QUEUED --begin--> STARTING --sandbox started--> RUNNING --exit / give-up--> STOPPED
 *    |                  |                            |
 *    +--cancel--> STOPPED (ERROR only, or nothing)   +--kill(reason): ENDING is RUNNING with a reason
 * </pre>
 *
 * <p>The sandbox only starts, streams and kills: the deadline is scheduled here when the sandbox has
 * started the program, and when it passes the run is killed with {@link EndReason#TIMED_OUT}. Every kill
 * (client, timeout, output limit, session or engine closing) records the first reason given and asks the
 * sandbox to kill; if the sandbox has not reported the end {@link #KILL_GRACE} later, the engine gives up
 * on it and ends the run itself (ERROR 500 + STOP), so every EXEC ends. The reason decides the STOP's
 * flags and the ERROR before it; the sandbox's {@link ExitStatus} contributes only what it knows (exit
 * code, signal, elapsed time).
 *
 * <p>Output goes through the run's {@link OutputPipeline}. Every event of the run is sent while holding
 * {@link #lock}, so SPAWN, LOG..., ERROR?, STOP reach the sink in order and nothing follows the STOP.
 */
final class Run implements OutputSink {
    private static final Logger log = LoggerFactory.getLogger(Run.class);

    /**
     * How long a killed run's sandbox may take to report the end before the engine gives up on it and
     * sends ERROR 500 + STOP itself, so that every EXEC ends even when a sandbox loses track of a run.
     */
    static final Duration KILL_GRACE = Duration.ofSeconds(5);

    /** The ERROR 408 of a run stage (or a spec without a compile stage) that timed out. */
    static final String RUN_TIMED_OUT = "code execution timed out";

    /** The ERROR 408 of a compile stage that timed out; the program never ran. */
    static final String COMPILE_TIMED_OUT = "compilation timed out";

    /** SIGNALs kept for a run whose program is still being started; later ones are dropped. */
    static final int MAX_PENDING_SIGNALS = 16;

    enum State {
        QUEUED,
        STARTING,
        RUNNING,
        STOPPED
    }

    /** Why a run ended; the first kill reason given is the one reported. */
    enum EndReason {
        /** The program ended by itself (whatever its exit code or signal). */
        EXITED,
        /** Its timeout passed: ERROR 408, STOP {@code timedout}. */
        TIMED_OUT,
        /** Its client sent KILL, or SIGNAL with SIGKILL (which is a KILL): STOP {@code killed}. */
        KILLED_BY_CLIENT,
        /** It wrote more than the output limit: ERROR 413, STOP {@code truncated}. */
        OUTPUT_LIMIT,
        /** Its session closed (the client went away): nobody hears the STOP. */
        SESSION_CLOSED,
        /** The engine closed: STOP {@code killed}. */
        ENGINE_CLOSED,
        /** The sandbox failed to start or run it: ERROR (500 unless the sandbox said otherwise). */
        SANDBOX_FAILED;

        /** The STOP's {@code killed}: someone other than the program, the timeout or the limit ended it. */
        boolean killed() {
            switch (this) {
                case KILLED_BY_CLIENT:
                case SESSION_CLOSED:
                case ENGINE_CLOSED:
                    return true;
                case EXITED:
                case TIMED_OUT:
                case OUTPUT_LIMIT:
                case SANDBOX_FAILED:
                    return false;
            }
            throw new AssertionError(this);
        }

        /** The outcome tag of the {@code ranna.runs.finished} metric. */
        String outcome() {
            switch (this) {
                case EXITED:
                    return "exited";
                case TIMED_OUT:
                    return "timedout";
                case OUTPUT_LIMIT:
                    return "truncated";
                case KILLED_BY_CLIENT:
                case SESSION_CLOSED:
                case ENGINE_CLOSED:
                    return "killed";
                case SANDBOX_FAILED:
                    return "failed";
            }
            throw new AssertionError(this);
        }
    }

    private final RealRannaEngine engine;
    private final DefaultEngineSession session;
    private final EngineScheduler scheduler;
    private final Nonce nonce;
    /** As submitted: for an inline expression, the code is the expression, expanded in {@link #begin}. */
    private final SandboxRequest request;

    private final boolean inlineExpression;
    /** The standard input of an interactive run, which STDIN feeds; null for a run that is not interactive. */
    private final @Nullable StdinBuffer input;

    private final long admittedNanos;

    final ReentrantLock lock = new ReentrantLock();
    private final OutputPipeline output;

    // Guarded by lock.
    private State state = State.QUEUED;
    private @Nullable Execution execution;
    private @Nullable EndReason killReason;
    private EngineScheduler.Scheduled deadline = EngineScheduler.NONE;
    private EngineScheduler.Scheduled giveUp = EngineScheduler.NONE;
    /** SIGNALs and a RESIZE that arrived while the sandbox was still starting the program. */
    private final List<ProgramSignal> pendingSignals = new ArrayList<>();

    private int pendingColumns;
    private int pendingRows;

    /**
     * The stage of a spec with a compile stage: {@link Stage#COMPILE} until the sandbox reports {@link
     * #compiled}, then {@link Stage#RUN}; null for a spec without one. Decides which timeout runs, what
     * LOG and STOP say, and which timeout message a timeout gets.
     */
    private @Nullable Stage stage;
    /** The compile stage's wall time, from the sandbox's report. */
    private long compileTimeMs;
    /** The timeout that ended the run was the compile stage's. */
    private boolean compileTimedOut;

    /** Set once a kill reason is recorded or the run stopped: a writer parked on backpressure leaves. */
    private volatile boolean ending;

    Run(
            RealRannaEngine engine,
            DefaultEngineSession session,
            Nonce nonce,
            SandboxRequest request,
            boolean inlineExpression,
            @Nullable StdinBuffer input,
            long maxOutputBytes) {
        this.engine = engine;
        this.session = session;
        this.scheduler = engine.scheduler();
        this.nonce = nonce;
        this.request = request;
        this.inlineExpression = inlineExpression;
        this.input = input;
        this.admittedNanos = scheduler.nanoTime();
        this.stage = request.spec().hasCompileStage() ? Stage.COMPILE : null;
        this.output = new OutputPipeline(
                lock,
                session.writability(),
                () -> ending,
                scheduler,
                engine.metrics(),
                engine.limits(),
                maxOutputBytes,
                stage,
                session::send,
                nonce,
                request.runId());
        if (input != null) {
            input.onTaken(output::inputTaken);
        }
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

    /** Whether the run's program is on a terminal (RESIZE applies). */
    boolean hasTerminal() {
        return request.tty();
    }

    /**
     * Hands a STDIN message to the run's input, whole or not at all; {@link StdinBuffer.Offer#CLOSED} for
     * a run that is not interactive.
     */
    StdinBuffer.Offer offerInput(byte[] data, boolean endInput) {
        StdinBuffer target = input;
        return target == null ? StdinBuffer.Offer.CLOSED : target.offer(data, endInput);
    }

    /**
     * Sends {@code signal} to the program, or, while the sandbox is still starting it, as soon as it has
     * started. Ignored once the run is being killed or has stopped. Never blocks on the run's lock for
     * long and calls the sandbox outside it.
     */
    void signal(ProgramSignal signal) {
        Execution target;
        lock.lock();
        try {
            if (state == State.STOPPED || killReason != null) {
                return;
            }
            target = execution;
            if (target == null) {
                if (pendingSignals.size() < MAX_PENDING_SIGNALS) {
                    pendingSignals.add(signal);
                }
                return;
            }
        } finally {
            lock.unlock();
        }
        deliver(target, signal);
    }

    /** Resizes the run's terminal, or remembers the size until the sandbox has started the program. */
    void resize(int columns, int rows) {
        Execution target;
        lock.lock();
        try {
            if (state == State.STOPPED || killReason != null) {
                return;
            }
            target = execution;
            if (target == null) {
                pendingColumns = columns;
                pendingRows = rows;
                return;
            }
        } finally {
            lock.unlock();
        }
        deliver(target, columns, rows);
    }

    private void deliver(Execution target, ProgramSignal signal) {
        try {
            target.signal(signal);
        } catch (RuntimeException e) {
            log.warn("run {}: sending {} failed", id(), signal, e);
        }
    }

    private void deliver(Execution target, int columns, int rows) {
        try {
            target.resize(columns, rows);
        } catch (RuntimeException e) {
            log.warn("run {}: resizing its terminal failed", id(), e);
        }
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
                engine.metrics().started(Duration.ofNanos(scheduler.nanoTime() - admittedNanos));
                session.send(new Event.Spawn(nonce, id()));
            }
        } finally {
            lock.unlock();
        }
        if (cancelled) {
            ended();
            return;
        }

        Execution started;
        try {
            started = engine.sandbox().start(toStart, this);
            if (started == null) {
                throw new IllegalStateException("sandbox returned no execution");
            }
        } catch (Exception | LinkageError e) {
            finish(null, e);
            return;
        }

        boolean killNow;
        List<ProgramSignal> signals = List.of();
        int columns = 0;
        int rows = 0;
        lock.lock();
        try {
            execution = started;
            if (state == State.STARTING) {
                state = State.RUNNING;
            }
            killNow = killReason != null;
            if (killNow) {
                giveUp = scheduler.schedule(this::giveUpOnSandbox, KILL_GRACE);
            } else if (state == State.RUNNING) {
                // A compile that ended while the sandbox was still starting has moved the stage on already.
                deadline = scheduleDeadline();
                signals = List.copyOf(pendingSignals);
                columns = pendingColumns;
                rows = pendingRows;
            }
            pendingSignals.clear();
        } finally {
            lock.unlock();
        }
        if (killNow) {
            killExecution(started);
        } else {
            if (columns > 0) {
                deliver(started, columns, rows);
            }
            for (ProgramSignal signal : signals) {
                deliver(started, signal);
            }
        }
        started.exit().whenComplete(this::finish);
    }

    /** The current stage's timeout, from now. Caller holds the lock. */
    private EngineScheduler.Scheduled scheduleDeadline() {
        @Nullable Stage timed = stage;
        Duration limit = timed == Stage.COMPILE ? request.compileTimeout() : request.timeout();
        return scheduler.schedule(() -> timeOut(timed), limit);
    }

    /**
     * The sandbox reports a clean compile (on its own thread, after the compiler's last output): the
     * compiler's output so far leaves as compile-stage LOGs, the compile deadline is replaced by the run
     * stage's whole timeout, and later output is the run stage's.
     */
    @Override
    public void compiled(ExitStatus compile) {
        lock.lock();
        try {
            if (stage != Stage.COMPILE || state == State.STOPPED) {
                return;
            }
            output.startStage(Stage.RUN);
            stage = Stage.RUN;
            compileTimeMs = compile.elapsed().toMillis();
            if (state == State.RUNNING && killReason == null) {
                deadline.cancel();
                deadline = scheduleDeadline();
            }
        } finally {
            lock.unlock();
        }
    }

    private SandboxRequest expandInline() {
        var inline = Objects.requireNonNull(request.spec().inline(), "inline");
        String code = InlineExpander.expand(inline, request.code());
        return request.withCode(code);
    }

    /** Ends a run that got a slot but will not start: only {@code error} (if its client still listens). */
    private void endBeforeSpawn(Event.Error error) {
        lock.lock();
        try {
            if (state != State.QUEUED) {
                return;
            }
            state = State.STOPPED;
            ending = true;
            if (killReason == null) {
                session.send(error);
            }
        } finally {
            lock.unlock();
        }
        ended();
    }

    /** Kills the run for {@code reason}; the first reason given is the one reported. Never blocks. */
    void kill(EndReason reason) {
        kill(reason, true, null);
    }

    /**
     * The deadline of stage {@code timed} passed: kills the run unless it has moved on to another stage
     * meanwhile (a compile deadline that fired while the compile was reported clean is stale).
     */
    private void timeOut(@Nullable Stage timed) {
        kill(EndReason.TIMED_OUT, false, timed);
    }

    private void kill(EndReason reason, boolean anyStage, @Nullable Stage onlyIn) {
        Execution target;
        lock.lock();
        try {
            if (state == State.STOPPED || killReason != null || (!anyStage && stage != onlyIn)) {
                return;
            }
            killReason = reason;
            compileTimedOut = reason == EndReason.TIMED_OUT && stage == Stage.COMPILE;
            ending = true;
            deadline.cancel();
            target = execution;
            if (target != null) {
                // Scheduling never blocks; the kill itself is sent after the lock is released.
                giveUp = scheduler.schedule(this::giveUpOnSandbox, KILL_GRACE);
            }
        } finally {
            lock.unlock();
        }
        // A writer parked on backpressure re-checks and leaves, so the sandbox's reader is free again.
        session.writability().wake();
        if (target != null) {
            killExecution(target);
        }
    }

    /** Asks the sandbox to kill; the give-up is already scheduled. Never blocks, takes no lock. */
    private void killExecution(Execution target) {
        try {
            target.kill();
        } catch (RuntimeException e) {
            log.warn("run {}: kill failed", id(), e);
        }
    }

    private void giveUpOnSandbox() {
        log.warn(
                "run {}: the sandbox did not end it within {} s of killing it; giving up",
                id(),
                KILL_GRACE.toSeconds());
        finish(
                null,
                new SandboxException(
                        "the sandbox did not end the run within " + KILL_GRACE.toSeconds() + " s of killing it"));
    }

    /**
     * Ends a run that never left the queue: only an ERROR (or nothing, if its session is gone or {@code
     * rejection} is null).
     */
    void cancelQueued(@Nullable Rejection rejection) {
        lock.lock();
        try {
            if (state != State.QUEUED) {
                return;
            }
            state = State.STOPPED;
            ending = true;
            if (rejection != null) {
                session.send(rejection.toEvent(nonce));
            }
        } finally {
            lock.unlock();
        }
        releaseInput();
        session.runEnded(this);
    }

    // --- output ----------------------------------------------------------------------------------

    @Override
    public void write(StdStream stream, byte[] bytes, int offset, int length) {
        if (output.write(stream, bytes, offset, length)) {
            kill(EndReason.OUTPUT_LIMIT);
        }
    }

    // --- end -------------------------------------------------------------------------------------

    private void finish(@Nullable ExitStatus status, @Nullable Throwable failure) {
        lock.lock();
        try {
            if (state == State.STOPPED) {
                return;
            }
            deadline.cancel();
            giveUp.cancel();
            output.finish();

            EndReason reason = endReason(status, failure);
            Duration programTime = status != null ? status.elapsed() : Duration.ZERO;
            long compileMs = compileTimeMs;
            if (stage == Stage.COMPILE) {
                // The program never ran: the sandbox's status is the compiler's.
                compileMs = programTime.toMillis();
                programTime = Duration.ZERO;
            }
            Event.Error error;
            if (failure != null) {
                error = ErrorMapper.toEvent(nonce, id(), failure);
            } else {
                error = errorFor(reason);
            }
            if (status != null && status.oomKilled()) {
                log.info("run {}: killed for exceeding its memory limit", id());
            }
            var ended = new RunResult(
                    programTime.toMillis(),
                    status != null ? status.exitCode() : null,
                    status != null ? status.signal() : null,
                    reason == EndReason.TIMED_OUT,
                    reason.killed(),
                    reason == EndReason.OUTPUT_LIMIT,
                    usage(status),
                    status != null && status.oomKilled());
            Stage endedIn = stage;
            RunResult result = endedIn == null ? ended : ended.withStage(endedIn, compileMs);
            state = State.STOPPED;
            ending = true;
            engine.metrics().finished(failure != null ? "failed" : reason.outcome(), programTime);
            // Free the run's places before the client hears STOP, so an EXEC sent in reply to it is
            // not refused for a capacity this run no longer uses.
            ended();
            if (error != null) {
                session.send(error);
            }
            session.send(new Event.Stop(nonce, id(), result));
        } finally {
            lock.unlock();
        }
        session.writability().wake();
    }

    /** Usage only from a sandbox that declares it: a STOP never carries numbers it did not promise. */
    private @Nullable Usage usage(@Nullable ExitStatus status) {
        ResourceUsage measured = status != null ? status.usage() : null;
        if (measured == null || !engine.sandbox().capabilities().contains(Capability.USAGE)) {
            return null;
        }
        return new Usage(measured.cpuTime().toMillis(), measured.peakMemoryBytes());
    }

    private EndReason endReason(@Nullable ExitStatus status, @Nullable Throwable failure) {
        if (killReason != null) {
            return killReason;
        }
        if (failure != null) {
            return EndReason.SANDBOX_FAILED;
        }
        return EndReason.EXITED;
    }

    private Event.@Nullable Error errorFor(EndReason reason) {
        switch (reason) {
            case TIMED_OUT:
                return Event.Error.of(nonce, ErrorCode.TIMEOUT, compileTimedOut ? COMPILE_TIMED_OUT : RUN_TIMED_OUT);
            case OUTPUT_LIMIT:
                return Event.Error.of(nonce, ErrorCode.TOO_LARGE, "output limit exceeded");
            case EXITED:
            case KILLED_BY_CLIENT:
            case SESSION_CLOSED:
            case ENGINE_CLOSED:
            case SANDBOX_FAILED:
                return null;
        }
        throw new AssertionError(reason);
    }

    /** The run is over: its unread input is dropped and a pump blocked reading it returns. */
    private void releaseInput() {
        StdinBuffer target = input;
        if (target != null) {
            target.release();
        }
    }

    /** Gives back the run's places: its session's routing entry and its slot. */
    private void ended() {
        releaseInput();
        session.runEnded(this);
        engine.releaseSlot(this);
    }
}
