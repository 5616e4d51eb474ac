package dev.ranna.engine;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets per client key, as ranna's {@code api.ws.ratelimit}: {@code burst} tokens, one more
 * every {@code interval}. Thread-safe. Buckets that are full again are dropped when the map grows, so
 * memory stays bounded by the number of recently active clients.
 */
final class RateLimiter {
    private static final int PRUNE_ABOVE = 10_000;

    private final int burst;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(int burst, Duration interval, LongSupplier nanoClock) {
        this.burst = burst;
        this.intervalNanos = Math.max(1, interval.toNanos());
        this.nanoClock = nanoClock;
    }

    /** Takes one token for {@code key}; false when none is left (the caller answers 429). */
    boolean tryAcquire(String key) {
        if (burst <= 0) {
            return true;
        }
        long now = nanoClock.getAsLong();
        if (buckets.size() > PRUNE_ABOVE) {
            buckets.values().removeIf(bucket -> bucket.isFull(now));
        }
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(now));
        return bucket.tryTake(now);
    }

    private final class Bucket {
        private long tokens = burst;
        private long lastRefill;

        Bucket(long now) {
            this.lastRefill = now;
        }

        synchronized boolean tryTake(long now) {
            refill(now);
            if (tokens > 0) {
                tokens--;
                return true;
            }
            return false;
        }

        synchronized boolean isFull(long now) {
            refill(now);
            return tokens >= burst;
        }

        private void refill(long now) {
            long elapsed = now - lastRefill;
            if (elapsed < intervalNanos) {
                return;
            }
            long earned = elapsed / intervalNanos;
            tokens = Math.min(burst, tokens + earned);
            lastRefill = tokens >= burst ? now : lastRefill + earned * intervalNanos;
        }
    }
}
