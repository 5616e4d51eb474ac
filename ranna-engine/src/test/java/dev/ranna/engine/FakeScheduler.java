package dev.ranna.engine;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * Virtual time for the engine (okhttp's TaskFaker is the model): the clock stands still until the test
 * {@link #advance}s it, and then the tasks that fall due run on the test's thread, in time order. So a
 * five-second kill grace costs no wall time, and "not yet" is a fact rather than a race.
 */
final class FakeScheduler implements EngineScheduler {
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();
    private long now;
    private long sequence;
    private boolean shutdown;

    private final class Task implements Comparable<Task>, Scheduled {
        final long due;
        final long order = sequence++;
        final Runnable action;

        Task(long due, Runnable action) {
            this.due = due;
            this.action = action;
        }

        @Override
        public int compareTo(Task other) {
            return due != other.due ? Long.compare(due, other.due) : Long.compare(order, other.order);
        }

        @Override
        public void cancel() {
            synchronized (FakeScheduler.this) {
                tasks.remove(this);
            }
        }
    }

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized Scheduled schedule(Runnable task, Duration delay) {
        if (shutdown) {
            return NONE;
        }
        var scheduled = new Task(now + Math.max(0, delay.toNanos()), task);
        tasks.add(scheduled);
        notifyAll();
        return scheduled;
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
        tasks.clear();
    }

    /** Moves the clock forward by {@code step}, running every task that falls due, in order. */
    void advance(Duration step) {
        long target;
        synchronized (this) {
            target = now + step.toNanos();
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.due > target) {
                    now = target;
                    return;
                }
                tasks.poll();
                now = next.due;
            }
            next.action.run();
        }
    }

    /** Tasks waiting to fall due. */
    synchronized int pending() {
        return tasks.size();
    }

    /** Waits (for real, at most 10 s) until at least {@code count} tasks are pending: another thread schedules. */
    synchronized void awaitPending(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tasks.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected " + count + " scheduled tasks, have " + tasks.size());
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }
}
