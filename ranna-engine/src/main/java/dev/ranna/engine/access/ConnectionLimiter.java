package dev.ranna.engine.access;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open WebSocket connections per client address. Thread-safe. A limit of 0 means unlimited, but
 * connections are still counted for the metrics.
 */
public final class ConnectionLimiter {
    private final int limit;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    public ConnectionLimiter(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0: " + limit);
        }
        this.limit = limit;
    }

    /** Takes a slot for {@code client}; false if it already has {@code limit} connections. */
    public boolean tryAcquire(String client) {
        boolean[] acquired = {false};
        open.compute(client, (key, count) -> {
            AtomicInteger current = count == null ? new AtomicInteger() : count;
            if (limit == 0 || current.get() < limit) {
                current.incrementAndGet();
                acquired[0] = true;
            }
            return current.get() == 0 ? null : current;
        });
        if (acquired[0]) {
            total.incrementAndGet();
        }
        return acquired[0];
    }

    /** Gives back a slot taken by {@link #tryAcquire}; call exactly once per successful acquire. */
    public void release(String client) {
        open.computeIfPresent(client, (key, count) -> count.decrementAndGet() <= 0 ? null : count);
        total.decrementAndGet();
    }

    /** Connections of {@code client}. */
    public int count(String client) {
        AtomicInteger count = open.get(client);
        return count == null ? 0 : count.get();
    }

    /** All counted connections. */
    public int total() {
        return total.get();
    }
}
