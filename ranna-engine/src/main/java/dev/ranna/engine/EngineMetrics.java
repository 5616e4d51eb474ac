package dev.ranna.engine;

import java.time.Duration;

/**
 * What the engine counts and times. {@link #NONE} when the embedder gave no meter registry, else {@link
 * MicrometerEngineMetrics}; this type names no Micrometer class, so the engine runs without micrometer-core
 * on the class path (it is an optional dependency). Thread-safe.
 */
interface EngineMetrics {

    /** Counts nothing: the engine without a meter registry. */
    EngineMetrics NONE = new EngineMetrics() {
        @Override
        public void started(Duration waited) {}

        @Override
        public void output(long bytes) {}

        @Override
        public void finished(String outcome, Duration programTime) {}

        @Override
        public void rejected(String reason) {}
    };

    /** A run took a slot after waiting {@code waited} in the queue. */
    void started(Duration waited);

    /** {@code bytes} of program output were taken from the sandbox. */
    void output(long bytes);

    /** A run ended; outcome: exited, killed, timedout, truncated, failed. */
    void finished(String outcome, Duration programTime);

    /** An EXEC was refused before spawning; reason: validation, ratelimit, capacity, shutdown. */
    void rejected(String reason);
}
