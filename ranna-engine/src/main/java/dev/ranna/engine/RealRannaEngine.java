package dev.ranna.engine;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.SystemInfo;
import dev.ranna.protocol.Utf8Text;
import dev.ranna.protocol.json.RestRequestDecoder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: sessions, the {@link RunScheduler}, the engine's threads and the sandbox. The one
 * implementation of {@link RannaEngine}; built by {@link RannaEngine.Builder}.
 */
final class RealRannaEngine implements RannaEngine {
    private static final Logger log = LoggerFactory.getLogger(RealRannaEngine.class);

    private final String sandboxName;
    private final Sandbox sandbox;
    private final Map<String, String> details;
    private final Object specsLock = new Object();
    private volatile SpecRegistry specs;
    private final RunLimits limits;
    /** The server's own memory limit of one run ({@code sandbox.memory}), which {@code limits.memorybytes} may only lower. */
    private final long memoryLimit;

    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final EngineScheduler scheduler;
    private final EngineMetrics metrics;
    private final RateLimiter rateLimiter;
    private final RunScheduler runs;
    private final Duration shutdownTimeout;
    private final Set<DefaultEngineSession> sessions = ConcurrentHashMap.newKeySet();

    private final ReentrantLock endLock = new ReentrantLock();
    private final Condition runEnded = endLock.newCondition();
    private volatile boolean closed;

    RealRannaEngine(
            String sandboxName,
            Sandbox sandbox,
            Map<String, String> details,
            SpecRegistry specs,
            RunLimits limits,
            long memoryLimit,
            @Nullable ExecutorService executor,
            @Nullable MeterRegistry registry,
            Duration shutdownTimeout,
            EngineScheduler scheduler) {
        checkCompileStages(sandboxName, sandbox, specs);
        this.sandboxName = sandboxName;
        this.memoryLimit = memoryLimit;
        this.sandbox = sandbox;
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        this.specs = specs;
        this.limits = limits;
        this.shutdownTimeout = shutdownTimeout;
        if (executor != null) {
            this.executor = executor;
            this.ownsExecutor = false;
        } else {
            var pool = new ThreadPoolExecutor(
                    limits.maxConcurrentRuns(),
                    limits.maxConcurrentRuns(),
                    30,
                    TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(),
                    daemonThreads("ranna-run-"));
            pool.allowCoreThreadTimeOut(true);
            this.executor = pool;
            this.ownsExecutor = true;
        }
        this.scheduler = scheduler;
        this.runs = new RunScheduler(
                limits.maxConcurrentRuns(),
                limits.maxQueuedRuns(),
                limits.maxRunsPerClient(),
                limits.maxRunsPerSession());
        this.rateLimiter = new RateLimiter(limits.rateLimitBurst(), limits.rateLimitInterval(), scheduler::nanoTime);
        // Micrometer's classes are touched only when the embedder gave a registry (micrometer-core is optional).
        this.metrics = registry == null
                ? EngineMetrics.NONE
                : new MicrometerEngineMetrics(registry, runs::running, runs::queued);
        prepare(specs);
    }

    /**
     * Refuses a spec map with compile stages for a sandbox that cannot run them: such a run would run the
     * program without its compile step, so the map is wrong for this server, said at start (or reload).
     *
     * @throws IllegalArgumentException naming the keys and the sandbox
     */
    static void checkCompileStages(String sandboxName, Sandbox sandbox, SpecRegistry registry) {
        if (sandbox.capabilities().contains(Capability.COMPILE)) {
            return;
        }
        var keys = new ArrayList<String>();
        for (LanguageSpec spec : registry.specs()) {
            if (spec.hasCompileStage()) {
                keys.add(spec.key());
            }
        }
        if (!keys.isEmpty()) {
            throw new IllegalArgumentException("spec map: " + String.join(", ", keys) + " ha"
                    + (keys.size() == 1 ? "s" : "ve") + " a compile stage, which sandbox '" + sandboxName
                    + "' does not support (it lacks the \"" + Capability.COMPILE.feature() + "\" capability)");
        }
    }

    private void prepare(SpecRegistry registry) {
        try {
            sandbox.prepare(registry.specs());
        } catch (RuntimeException e) {
            log.warn("sandbox '{}' failed to prepare for the spec map; runs will prepare on demand", sandboxName, e);
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        var counter = new AtomicInteger();
        return task -> {
            var thread = new Thread(task, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    // --- for sessions and runs -------------------------------------------------------------------

    Sandbox sandbox() {
        return sandbox;
    }

    EngineScheduler scheduler() {
        return scheduler;
    }

    EngineMetrics metrics() {
        return metrics;
    }

    /** The server's memory limit of one run in bytes ({@code sandbox.memory}). */
    long memoryLimit() {
        return memoryLimit;
    }

    RateLimiter rateLimiter() {
        return rateLimiter;
    }

    boolean isClosed() {
        return closed;
    }

    RunScheduler.Decision admit(Run run) {
        return runs.admit(run);
    }

    void dispatch(Run run) {
        try {
            executor.execute(run::begin);
        } catch (RejectedExecutionException e) {
            // Only after close(): the executor is gone, so end the run here.
            log.debug("run {} rejected by the executor", run.id());
            run.cancelQueued(Rejection.SHUTTING_DOWN);
            releaseSlot(run);
        }
    }

    /** Takes a queued run out of the queue; false if it was not queued. */
    boolean unqueue(Run run) {
        if (runs.remove(run)) {
            run.cancelQueued(null);
            return true;
        }
        return false;
    }

    /** Gives back the slot {@code finished} held (or passes it to the next run in turn). */
    void releaseSlot(Run finished) {
        Run next = runs.release(finished);
        if (next != null) {
            dispatch(next);
        }
        endLock.lock();
        try {
            runEnded.signalAll();
        } finally {
            endLock.unlock();
        }
    }

    /** Running plus queued runs of {@code session}. */
    int activeRuns(DefaultEngineSession session) {
        return runs.active(session);
    }

    void sessionClosed(DefaultEngineSession session) {
        sessions.remove(session);
    }

    // --- RannaEngine -----------------------------------------------------------------------------

    @Override
    public EngineSession openSession(EventSink sink, String clientKey) {
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(clientKey, "clientKey");
        if (closed) {
            throw new IllegalStateException("engine is closed");
        }
        var session = new DefaultEngineSession(this, sink, clientKey);
        sessions.add(session);
        if (closed) {
            sessions.remove(session);
            throw new IllegalStateException("engine is closed");
        }
        return session;
    }

    @Override
    public CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(clientKey, "clientKey");
        if (request.interactive()) {
            // Nobody could send a blocking call's run more input: it would wait for EOF until its timeout.
            return CompletableFuture.completedFuture(new ExecOutcome.Failed(
                    ErrorResponse.of(ErrorCode.BAD_REQUEST, RestRequestDecoder.INTERACTIVE_NEEDS_WEBSOCKET)));
        }
        var collector = new CollectingSink();
        EngineSession session;
        try {
            session = openSession(collector, clientKey);
        } catch (IllegalStateException e) {
            return CompletableFuture.completedFuture(
                    new ExecOutcome.Failed(ErrorResponse.of(ErrorCode.UNAVAILABLE, "server is shutting down")));
        }
        collector.result.whenComplete((outcome, failure) -> session.close());
        session.handle(new Operation.Exec(Nonce.NONE, request));
        return collector.result;
    }

    @Override
    public SpecRegistry specs() {
        return specs;
    }

    void scheduleSpecReload(Supplier<SpecRegistry> source, CronSchedule schedule) {
        if (closed) {
            return;
        }
        ZonedDateTime now = ZonedDateTime.now();
        long delay = Math.max(1, Duration.between(now, schedule.next(now)).toMillis());
        // Dropped by the scheduler once the engine has closed.
        scheduler.schedule(
                () -> {
                    reloadFrom(source, schedule);
                    scheduleSpecReload(source, schedule);
                },
                Duration.ofMillis(delay));
    }

    private void reloadFrom(Supplier<SpecRegistry> source, CronSchedule schedule) {
        try {
            SpecRegistry next = source.get();
            if (next.specMap().equals(specs.specMap())) {
                log.debug("scheduled spec reload ({}): unchanged", schedule);
                return;
            }
            reloadSpecs(next);
        } catch (RuntimeException e) {
            log.warn("scheduled spec reload ({}) failed; keeping the current spec map: {}", schedule, e.getMessage());
        }
    }

    @Override
    public void reloadSpecs(SpecRegistry next) {
        Objects.requireNonNull(next, "specs");
        checkCompileStages(sandboxName, sandbox, next);
        SpecRegistry previous;
        synchronized (specsLock) {
            previous = specs;
            specs = next;
        }
        prepare(next);
        log.info(
                "spec map reloaded: {} -> {} languages",
                previous.languages().size(),
                next.languages().size());
    }

    @Override
    public RunLimits limits() {
        return limits;
    }

    @Override
    public String sandboxName() {
        return sandboxName;
    }

    @Override
    public SystemInfo.Sandbox sandboxInfo() {
        return new SystemInfo.Sandbox(sandboxName, sandbox.version(), details);
    }

    @Override
    public List<String> features() {
        var features = new ArrayList<String>();
        // EnumSet order: the declaration order of Capability, stable across sandboxes.
        for (Capability capability : EnumSet.allOf(Capability.class)) {
            if (sandbox.capabilities().contains(capability)) {
                features.add(capability.feature());
            }
        }
        return List.copyOf(features);
    }

    @Override
    public int activeRuns() {
        return runs.running() + runs.queued();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Run queued : runs.drain()) {
            queued.cancelQueued(Rejection.SHUTTING_DOWN);
        }
        for (DefaultEngineSession session : sessions) {
            session.shutdown();
        }
        awaitRunsEnded();
        try {
            sandbox.close();
        } catch (RuntimeException e) {
            log.warn("sandbox '{}' failed to close cleanly", sandboxName, e);
        }
        scheduler.shutdown();
        if (ownsExecutor) {
            executor.shutdownNow();
        }
        log.info("ranna engine closed");
    }

    private void awaitRunsEnded() {
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        endLock.lock();
        try {
            while (runs.running() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn(
                            "{} runs still ending after {}; closing the sandbox anyway",
                            runs.running(),
                            shutdownTimeout);
                    return;
                }
                // releaseSlot() signals under endLock after the count dropped, so no end is missed.
                runEnded.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            endLock.unlock();
        }
    }

    /**
     * Collects one run's events into a REST outcome; the run's output limit bounds what it holds. For a spec
     * with a compile stage, LOGs of the compile stage go to the response's {@code compile} object and the
     * top-level output is the run stage's. The output is joined as the LOGs' UTF-8 bytes, so the REST answer
     * is written from them without a {@code String}.
     */
    private static final class CollectingSink implements EventSink {
        final CompletableFuture<ExecOutcome> result = new CompletableFuture<>();
        private final Utf8Text.Builder stdout = new Utf8Text.Builder(256);
        private final Utf8Text.Builder stderr = new Utf8Text.Builder(256);
        private final Utf8Text.Builder compileStdout = new Utf8Text.Builder(0);
        private final Utf8Text.Builder compileStderr = new Utf8Text.Builder(0);
        private boolean spawned;
        private Event.@Nullable Error error;

        @Override
        public synchronized void send(Event event) {
            switch (event.eventCode()) {
                case PONG:
                    break;
                case SPAWN:
                    spawned = true;
                    break;
                case ERROR:
                    error = (Event.Error) event;
                    if (!spawned) {
                        result.complete(failed(error));
                    }
                    break;
                case LOG: {
                    var log = (Event.Log) event;
                    boolean compile = log.stage() == Stage.COMPILE;
                    boolean out = log.stream() == StdStream.STDOUT;
                    (compile ? (out ? compileStdout : compileStderr) : (out ? stdout : stderr)).append(log.output());
                    break;
                }
                case STOP: {
                    RunResult stop = ((Event.Stop) event).result();
                    var run = new ExecutionResponse(stdout.build(), stderr.build(), stop, compile(stop));
                    result.complete(
                            error != null
                                    ? new ExecOutcome.Failed(new ErrorResponse(error.message(), error.code()), run)
                                    : new ExecOutcome.Completed(run));
                    break;
                }
            }
        }

        /**
         * The compile stage's part of the response: the compiler's output, and how it ended (a compile the
         * run stage followed ended with exit code 0; one it did not is the STOP's exit code or signal).
         */
        private @Nullable CompileResult compile(RunResult stop) {
            Stage stage = stop.stage();
            if (stage == null) {
                return null;
            }
            Long compileTimeMs = stop.compileTimeMs();
            long millis = compileTimeMs != null ? compileTimeMs : 0;
            switch (stage) {
                case COMPILE:
                    return new CompileResult(
                            compileStdout.build(), compileStderr.build(), stop.exitCode(), stop.signal(), millis);
                case RUN:
                    return new CompileResult(compileStdout.build(), compileStderr.build(), 0, null, millis);
            }
            throw new AssertionError(stage);
        }

        private static ExecOutcome failed(Event.Error error) {
            return new ExecOutcome.Failed(new ErrorResponse(error.message(), error.code()));
        }
    }
}
