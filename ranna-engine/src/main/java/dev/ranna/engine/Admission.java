package dev.ranna.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Engine-wide run slots with a bounded FIFO queue for runs waiting for one. Thread-safe. */
final class Admission {
    enum Decision {
        START,
        QUEUED,
        FULL
    }

    private final int slots;
    private final int queueCapacity;
    private final ArrayDeque<Run> queue = new ArrayDeque<>();
    private int running;

    Admission(int slots, int queueCapacity) {
        this.slots = slots;
        this.queueCapacity = queueCapacity;
    }

    synchronized Decision admit(Run run) {
        if (running < slots) {
            running++;
            return Decision.START;
        }
        if (queue.size() < queueCapacity) {
            queue.addLast(run);
            return Decision.QUEUED;
        }
        return Decision.FULL;
    }

    /** Frees a slot, or hands it straight to the next queued run, which the caller then starts. */
    synchronized @Nullable Run release() {
        Run next = queue.pollFirst();
        if (next == null) {
            running--;
        }
        return next;
    }

    /** Removes a queued run (its session closed); false if it was not queued. */
    synchronized boolean remove(Run run) {
        return queue.remove(run);
    }

    /** Empties the queue (engine close). */
    synchronized List<Run> drain() {
        var drained = new ArrayList<>(queue);
        queue.clear();
        return drained;
    }

    synchronized int running() {
        return running;
    }

    synchronized int queued() {
        return queue.size();
    }
}
