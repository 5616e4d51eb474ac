package dev.ranna.engine;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's one source of time: a monotonic clock and a timer. Every deadline of a run (its timeout,
 * the grace a killed run's sandbox gets), the output coalescer's flush and the spec reload are scheduled
 * here, so a test can replace it with a virtual one it advances by hand and a five-second grace costs
 * no wall time.
 *
 * <p>Thread-safe. Tasks run one at a time on the scheduler's thread (the virtual one runs them on the
 * thread that advances it); they must be short and must not block.
 */
interface EngineScheduler {

    /** A monotonic time in nanoseconds, like {@link System#nanoTime()}. */
    long nanoTime();

    /**
     * Runs {@code task} once {@code delay} has passed. After {@link #shutdown()} the task is dropped and
     * the returned handle does nothing.
     */
    Scheduled schedule(Runnable task, Duration delay);

    /** Drops every pending task and stops the scheduler's thread. Idempotent. */
    void shutdown();

    /** A scheduled task. */
    interface Scheduled {
        /** Cancels the task if it has not run yet; harmless afterwards. */
        void cancel();
    }

    /** The scheduled task that never runs. */
    Scheduled NONE = () -> {};

    /** The real clock and one daemon timer thread, {@code ranna-timer-1}. */
    static EngineScheduler system() {
        return new SystemScheduler();
    }

    /** {@link System#nanoTime()} and a {@link ScheduledThreadPoolExecutor} of one daemon thread. */
    final class SystemScheduler implements EngineScheduler {
        private final ScheduledThreadPoolExecutor timer;

        SystemScheduler() {
            var counter = new AtomicInteger();
            timer = new ScheduledThreadPoolExecutor(1, task -> {
                var thread = new Thread(task, "ranna-timer-" + counter.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Scheduled schedule(Runnable task, Duration delay) {
            try {
                ScheduledFuture<?> future = timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
                return () -> future.cancel(false);
            } catch (RejectedExecutionException e) {
                return NONE;
            }
        }

        @Override
        public void shutdown() {
            timer.shutdownNow();
        }
    }
}
