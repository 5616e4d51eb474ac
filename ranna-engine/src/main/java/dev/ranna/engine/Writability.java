package dev.ranna.engine;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A session's backpressure, one mechanism in one direction: the transport pushes whether its client
 * keeps up ({@link EngineSession#writabilityChanged(boolean)}), and output writers wait here while it
 * does not. The flag is read and written under one lock and waiters re-check it after every signal, so
 * no change of writability can be missed and nothing polls.
 *
 * <p>Thread-safe. {@link #set} is called on the transport's thread (a Netty event loop); it holds the
 * lock only to flip the flag and signal, never while anyone sends or blocks, so it does not wait.
 */
final class Writability {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean writable = true;
    private boolean closed;

    /** The transport's latest word on whether its client keeps up. */
    void set(boolean nowWritable) {
        lock.lock();
        try {
            writable = nowWritable;
            if (nowWritable) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks while the sink is not writable, unless {@code stop} says the waiting writer's run is ending
     * (it is re-checked after every {@link #wake()}) or the session closed. Returns at once when
     * writable. An interrupt ends the wait with the thread's interrupt flag set.
     *
     * @return whether the caller found the sink not writable (and so waited, or was let go without)
     */
    boolean awaitWritable(BooleanSupplier stop) {
        lock.lock();
        boolean waited = false;
        try {
            while (!writable && !closed && !stop.getAsBoolean()) {
                waited = true;
                changed.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        return waited;
    }

    /** Wakes every waiter to re-check its run: call after a run's stop condition became true. */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The session closed: no writer waits any more. */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the transport last said writable (tests). */
    boolean isWritable() {
        lock.lock();
        try {
            return writable;
        } finally {
            lock.unlock();
        }
    }
}
