package dev.ranna.sandbox.tck;

import dev.ranna.engine.spi.Execution;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Kills an execution when its timeout passes, as the engine does, for a sandbox's own tests that start
 * runs without an engine: sandboxes do not time runs, so a test of "a program past its timeout is
 * stopped" plays the engine's deadline with this. {@link #fired()} says whether the deadline (and not the
 * program) ended the run.
 *
 * <pre>{@code
 * Execution execution = sandbox.start(request, sink);
 * try (Deadline deadline = Deadline.kill(execution, request.timeout())) {
 *     ExitStatus status = execution.exit().toCompletableFuture().get();
 *     assertThat(deadline.fired()).isTrue();
 * }
 * }</pre>
 *
 * <p>Thread-safe. The timer is one daemon thread shared by every deadline.
 */
public final class Deadline implements AutoCloseable {
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final AtomicBoolean fired = new AtomicBoolean();
    private final ScheduledFuture<?> task;

    private Deadline(Execution execution, Duration timeout) {
        this.task = TIMER.schedule(
                () -> {
                    if (!execution.exit().toCompletableFuture().isDone()) {
                        fired.set(true);
                        execution.kill();
                    }
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
        // Not needed once the run is over.
        execution.exit().whenComplete((status, failure) -> task.cancel(false));
    }

    /** Kills {@code execution} once {@code timeout} has passed, unless it has ended by then. */
    public static Deadline kill(Execution execution, Duration timeout) {
        return new Deadline(execution, timeout);
    }

    /** Whether the deadline passed while the run was going, and killed it. */
    public boolean fired() {
        return fired.get();
    }

    /** Cancels the deadline if it has not passed. */
    @Override
    public void close() {
        task.cancel(false);
    }

    private static ScheduledThreadPoolExecutor timer() {
        var timer = new ScheduledThreadPoolExecutor(1, task -> {
            var thread = new Thread(task, "tck-deadline");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
