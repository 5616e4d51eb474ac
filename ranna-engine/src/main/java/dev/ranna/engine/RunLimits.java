package dev.ranna.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits the engine enforces on runs, independent of the sandbox.
 *
 * @param timeout wall-clock limit of one program ({@code sandbox.timeoutseconds}, 20 s)
 * @param maxOutputBytes stdout plus stderr bytes per run before it is killed ({@code api.maxoutputlen}, 1 MiB)
 * @param maxCodeBytes the largest accepted code, in UTF-8 bytes (512 KiB)
 * @param maxArgumentBytes the largest total of arguments plus environment, in UTF-8 bytes (64 KiB)
 * @param maxStdinBufferBytes the most standard input of one interactive run held for its program, sent
 *     and not read yet ({@code api.maxstdinbuffer}, 1 MiB); a STDIN that would pass it is refused whole
 *     with ERROR 413
 * @param maxRunsPerSession concurrent runs (queued or running) of one session (4)
 * @param maxRunsPerClient concurrent runs (queued or running) of one client key across all its sessions
 *     ({@code api.maxrunsperclient}, 4); 0 means no per-client cap. Queued runs are served one client
 *     at a time in turn, so one client's queue never delays another client's next run.
 * @param maxConcurrentRuns runs executing at once across the engine (8); more wait in a FIFO queue
 * @param maxQueuedRuns runs waiting for a slot before EXEC is refused with 503 (64)
 * @param rateLimitBurst EXEC token bucket size per client key; 0 disables rate limiting
 *     ({@code api.ws.ratelimit.burst})
 * @param rateLimitInterval time to refill one token ({@code api.ws.ratelimit.limitseconds})
 * @param coalesceDelay how long small output writes may wait to be merged into one LOG (5 ms)
 * @param coalesceBytes the LOG chunk the coalescer builds before sending (16 KiB), and the size it returns to
 *     when output is sparse or the client falls behind
 * @param maxCoalesceBytes the largest LOG chunk the coalescer grows to, doubling from {@code coalesceBytes},
 *     while output floods and the client keeps up (64 KiB; never below {@code coalesceBytes}). A byte of
 *     output is at most 6 bytes of JSON (a control character as a backslash-u escape), so a LOG stays below
 *     384 KiB plus its envelope, well under the 2 MiB WebSocket message limit ({@code ws.maxmessage}) that
 *     clients are usually given too. Kept below the Netty server's write high-water mark (128 KiB): a LOG
 *     larger than it makes the session unwritable on its own, so the output reader waits for every LOG to
 *     reach the socket instead of reading the next one meanwhile
 * @param compileTimeout wall-clock limit of a spec's compile stage ({@code sandbox.compile.timeoutseconds},
 *     30 s); the run stage's {@code timeout} starts when the compile ended
 * @param maxFiles the most {@code files} one EXEC may carry ({@code api.maxfiles}, 64)
 */
public record RunLimits(
        Duration timeout,
        long maxOutputBytes,
        int maxCodeBytes,
        int maxArgumentBytes,
        int maxStdinBufferBytes,
        int maxRunsPerSession,
        int maxRunsPerClient,
        int maxConcurrentRuns,
        int maxQueuedRuns,
        int rateLimitBurst,
        Duration rateLimitInterval,
        Duration coalesceDelay,
        int coalesceBytes,
        int maxCoalesceBytes,
        Duration compileTimeout,
        int maxFiles) {

    /** The defaults listed above. */
    public static final RunLimits DEFAULTS = builder().build();

    /** @throws IllegalArgumentException naming the parameter and its value, if it is out of range */
    public RunLimits {
        positive("timeout", timeout);
        positive("maxOutputBytes", maxOutputBytes);
        positive("maxCodeBytes", maxCodeBytes);
        positive("maxArgumentBytes", maxArgumentBytes);
        positive("maxStdinBufferBytes", maxStdinBufferBytes);
        positive("maxRunsPerSession", maxRunsPerSession);
        if (maxRunsPerClient < 0) {
            throw new IllegalArgumentException("maxRunsPerClient must be >= 0: " + maxRunsPerClient);
        }
        positive("maxConcurrentRuns", maxConcurrentRuns);
        if (maxQueuedRuns < 0) {
            throw new IllegalArgumentException("maxQueuedRuns must be >= 0: " + maxQueuedRuns);
        }
        if (rateLimitBurst < 0) {
            throw new IllegalArgumentException("rateLimitBurst must be >= 0: " + rateLimitBurst);
        }
        Objects.requireNonNull(rateLimitInterval, "rateLimitInterval");
        if (rateLimitBurst > 0) {
            positive("rateLimitInterval", rateLimitInterval);
        }
        Objects.requireNonNull(coalesceDelay, "coalesceDelay");
        if (coalesceDelay.isNegative()) {
            throw new IllegalArgumentException("coalesceDelay must be >= 0: " + coalesceDelay);
        }
        positive("coalesceBytes", coalesceBytes);
        positive("maxCoalesceBytes", maxCoalesceBytes);
        positive("compileTimeout", compileTimeout);
        if (maxFiles < 0) {
            throw new IllegalArgumentException("maxFiles must be >= 0: " + maxFiles);
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }

    /** Whether EXEC is rate limited. */
    public boolean rateLimited() {
        return rateLimitBurst > 0;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these limits. */
    public Builder toBuilder() {
        return new Builder()
                .timeout(timeout)
                .maxOutputBytes(maxOutputBytes)
                .maxCodeBytes(maxCodeBytes)
                .maxArgumentBytes(maxArgumentBytes)
                .maxStdinBufferBytes(maxStdinBufferBytes)
                .maxRunsPerSession(maxRunsPerSession)
                .maxRunsPerClient(maxRunsPerClient)
                .maxConcurrentRuns(maxConcurrentRuns)
                .maxQueuedRuns(maxQueuedRuns)
                .rateLimit(rateLimitBurst, rateLimitInterval)
                .coalesceDelay(coalesceDelay)
                .coalesceBytes(coalesceBytes)
                .maxCoalesceBytes(maxCoalesceBytes)
                .compileTimeout(compileTimeout)
                .maxFiles(maxFiles);
    }

    /** Builds {@link RunLimits}; not thread-safe. */
    public static final class Builder {
        private Duration timeout = Duration.ofSeconds(20);
        private long maxOutputBytes = 1024 * 1024;
        private int maxCodeBytes = 512 * 1024;
        private int maxArgumentBytes = 64 * 1024;
        private int maxStdinBufferBytes = 1024 * 1024;
        private int maxRunsPerSession = 4;
        private int maxRunsPerClient = 4;
        private int maxConcurrentRuns = 8;
        private int maxQueuedRuns = 64;
        private int rateLimitBurst = 0;
        private Duration rateLimitInterval = Duration.ofSeconds(1);
        private Duration coalesceDelay = Duration.ofMillis(5);
        private int coalesceBytes = 16 * 1024;
        private int maxCoalesceBytes = 64 * 1024;
        private Duration compileTimeout = Duration.ofSeconds(30);
        private int maxFiles = 64;

        private Builder() {}

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder maxOutputBytes(long maxOutputBytes) {
            this.maxOutputBytes = maxOutputBytes;
            return this;
        }

        public Builder maxCodeBytes(int maxCodeBytes) {
            this.maxCodeBytes = maxCodeBytes;
            return this;
        }

        public Builder maxArgumentBytes(int maxArgumentBytes) {
            this.maxArgumentBytes = maxArgumentBytes;
            return this;
        }

        /** Standard input of one interactive run held, sent and not read yet, before STDIN is refused. */
        public Builder maxStdinBufferBytes(int maxStdinBufferBytes) {
            this.maxStdinBufferBytes = maxStdinBufferBytes;
            return this;
        }

        public Builder maxRunsPerSession(int maxRunsPerSession) {
            this.maxRunsPerSession = maxRunsPerSession;
            return this;
        }

        /** Runs one client key may have queued or running at once across its sessions; 0: no cap. */
        public Builder maxRunsPerClient(int maxRunsPerClient) {
            this.maxRunsPerClient = maxRunsPerClient;
            return this;
        }

        public Builder maxConcurrentRuns(int maxConcurrentRuns) {
            this.maxConcurrentRuns = maxConcurrentRuns;
            return this;
        }

        public Builder maxQueuedRuns(int maxQueuedRuns) {
            this.maxQueuedRuns = maxQueuedRuns;
            return this;
        }

        /** {@code burst} tokens per client key, one more every {@code interval}; burst 0 disables. */
        public Builder rateLimit(int burst, Duration interval) {
            this.rateLimitBurst = burst;
            this.rateLimitInterval = interval;
            return this;
        }

        public Builder coalesceDelay(Duration coalesceDelay) {
            this.coalesceDelay = coalesceDelay;
            return this;
        }

        public Builder coalesceBytes(int coalesceBytes) {
            this.coalesceBytes = coalesceBytes;
            return this;
        }

        /** The largest LOG chunk while output floods and the client keeps up; see {@link RunLimits}. */
        public Builder maxCoalesceBytes(int maxCoalesceBytes) {
            this.maxCoalesceBytes = maxCoalesceBytes;
            return this;
        }

        /** The compile stage's wall-clock limit (a spec with {@code compile}); the run's own starts after it. */
        public Builder compileTimeout(Duration compileTimeout) {
            this.compileTimeout = compileTimeout;
            return this;
        }

        /** The most extra files one EXEC may carry; 0 refuses every {@code files}. */
        public Builder maxFiles(int maxFiles) {
            this.maxFiles = maxFiles;
            return this;
        }

        /** @throws IllegalArgumentException if a value is out of range */
        public RunLimits build() {
            return new RunLimits(
                    timeout,
                    maxOutputBytes,
                    maxCodeBytes,
                    maxArgumentBytes,
                    maxStdinBufferBytes,
                    maxRunsPerSession,
                    maxRunsPerClient,
                    maxConcurrentRuns,
                    maxQueuedRuns,
                    rateLimitBurst,
                    rateLimitInterval,
                    coalesceDelay,
                    coalesceBytes,
                    maxCoalesceBytes,
                    compileTimeout,
                    maxFiles);
        }
    }
}
