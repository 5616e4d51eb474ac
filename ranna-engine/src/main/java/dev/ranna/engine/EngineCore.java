package dev.ranna.engine;

import dev.ranna.engine.spi.Sandbox;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.ExecutionResponse;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.StdStream;
import dev.ranna.protocol.SystemInfo;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@link RannaEngine} delegates to: sessions, slots, threads, the sandbox. */
final class EngineCore {
    private static final Logger log = LoggerFactory.getLogger(EngineCore.class);

    private final String sandboxName;
    private final Sandbox sandbox;
    private final Map<String, String> details;
    private final AtomicReference<SpecRegistry> specs;
    private final RunLimits limits;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final ScheduledExecutorService timer;
    private final EngineMetrics metrics;
    private final RateLimiter rateLimiter;
    private final Admission admission;
    private final Duration shutdownTimeout;
    private final Set<DefaultEngineSession> sessions = ConcurrentHashMap.newKeySet();

    private final ReentrantLock endLock = new ReentrantLock();
    private final Condition runEnded = endLock.newCondition();
    private volatile boolean closed;

    EngineCore(
            String sandboxName,
            Sandbox sandbox,
            Map<String, String> details,
            SpecRegistry specs,
            RunLimits limits,
            @Nullable ExecutorService executor,
            MeterRegistry registry,
            Duration shutdownTimeout) {
        this.sandboxName = sandboxName;
        this.sandbox = sandbox;
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
        this.specs = new AtomicReference<>(specs);
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
        var scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads("ranna-timer-"));
        scheduler.setRemoveOnCancelPolicy(true);
        this.timer = scheduler;
        this.admission = new Admission(limits.maxConcurrentRuns(), limits.maxQueuedRuns(), limits.maxRunsPerClient());
        this.rateLimiter = new RateLimiter(limits.rateLimitBurst(), limits.rateLimitInterval(), System::nanoTime);
        this.metrics = new EngineMetrics(registry, admission::running, admission::queued);
        prepare(specs);
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

    ScheduledExecutorService timer() {
        return timer;
    }

    EngineMetrics metrics() {
        return metrics;
    }

    RateLimiter rateLimiter() {
        return rateLimiter;
    }

    boolean isClosed() {
        return closed;
    }

    Admission.Decision admit(Run run) {
        return admission.admit(run);
    }

    void dispatch(Run run) {
        try {
            executor.execute(run::begin);
        } catch (RejectedExecutionException e) {
            // Only after close(): the executor is gone, so end the run here.
            log.debug("run {} rejected by the executor", run.id());
            run.cancelQueued(shuttingDown(run));
            releaseSlot(run);
        }
    }

    private static Event.Error shuttingDown(Run run) {
        return Event.Error.of(run.nonce(), ErrorCode.UNAVAILABLE, "server is shutting down");
    }

    /** Takes a queued run out of the queue; false if it was not queued. */
    boolean unqueue(Run run) {
        if (admission.remove(run)) {
            run.cancelQueued(null);
            return true;
        }
        return false;
    }

    /** Gives back the slot {@code finished} held (or passes it to the next run in turn). */
    void releaseSlot(Run finished) {
        Run next = admission.release(finished);
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

    void sessionClosed(DefaultEngineSession session) {
        sessions.remove(session);
    }

    // --- RannaEngine -----------------------------------------------------------------------------

    EngineSession openSession(EventSink sink, String clientKey) {
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

    CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey) {
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

    SpecRegistry specs() {
        return specs.get();
    }

    void scheduleSpecReload(Supplier<SpecRegistry> source, CronSchedule schedule) {
        if (closed) {
            return;
        }
        ZonedDateTime now = ZonedDateTime.now();
        long delay = Math.max(1, Duration.between(now, schedule.next(now)).toMillis());
        try {
            timer.schedule(
                    () -> {
                        reloadFrom(source, schedule);
                        scheduleSpecReload(source, schedule);
                    },
                    delay,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The engine closed meanwhile.
        }
    }

    private void reloadFrom(Supplier<SpecRegistry> source, CronSchedule schedule) {
        try {
            SpecRegistry next = source.get();
            if (next.specMap().equals(specs.get().specMap())) {
                log.debug("scheduled spec reload ({}): unchanged", schedule);
                return;
            }
            reloadSpecs(next);
        } catch (RuntimeException e) {
            log.warn("scheduled spec reload ({}) failed; keeping the current spec map: {}", schedule, e.getMessage());
        }
    }

    void reloadSpecs(SpecRegistry next) {
        SpecRegistry previous = specs.getAndSet(next);
        prepare(next);
        log.info(
                "spec map reloaded: {} -> {} languages",
                previous.languages().size(),
                next.languages().size());
    }

    RunLimits limits() {
        return limits;
    }

    String sandboxName() {
        return sandboxName;
    }

    SystemInfo.Sandbox sandboxInfo() {
        return new SystemInfo.Sandbox(sandboxName, sandbox.version(), details);
    }

    int activeRuns() {
        return admission.running() + admission.queued();
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Run queued : admission.drain()) {
            queued.cancelQueued(shuttingDown(queued));
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
        timer.shutdownNow();
        if (ownsExecutor) {
            executor.shutdownNow();
        }
        log.info("ranna engine closed");
    }

    private void awaitRunsEnded() {
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        endLock.lock();
        try {
            while (admission.running() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.warn(
                            "{} runs still ending after {}; closing the sandbox anyway",
                            admission.running(),
                            shutdownTimeout);
                    return;
                }
                runEnded.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            endLock.unlock();
        }
    }

    /** Collects one run's events into a REST outcome; the run's output limit bounds what it holds. */
    private static final class CollectingSink implements EventSink {
        final CompletableFuture<ExecOutcome> result = new CompletableFuture<>();
        private final StringBuilder stdout = new StringBuilder();
        private final StringBuilder stderr = new StringBuilder();
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
                    (log.stream() == StdStream.STDOUT ? stdout : stderr).append(log.text());
                    break;
                }
                case STOP: {
                    var run =
                            new ExecutionResponse(stdout.toString(), stderr.toString(), ((Event.Stop) event).result());
                    result.complete(
                            error != null
                                    ? new ExecOutcome.Failed(new ErrorResponse(error.message(), error.code()), run)
                                    : new ExecOutcome.Completed(run));
                    break;
                }
            }
        }

        private static ExecOutcome failed(Event.Error error) {
            return new ExecOutcome.Failed(new ErrorResponse(error.message(), error.code()));
        }
    }
}
