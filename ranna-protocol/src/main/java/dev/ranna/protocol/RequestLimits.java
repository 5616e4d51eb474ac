package dev.ranna.protocol;

import org.jspecify.annotations.Nullable;

/**
 * EXEC's {@code limits} (feature {@code "limits"}): a run's own limits, each only lowering the server's,
 * each null when the client did not set it (the server's own limit applies). Whether a value is within the
 * server's limit is decided by the engine; the decoder only accepts positive integers.
 *
 * @param timeoutMs the run stage's wall-clock limit in milliseconds ({@code timeoutms})
 * @param compileTimeoutMs the compile stage's wall-clock limit in milliseconds ({@code compiletimeoutms})
 * @param memoryBytes the run's memory limit in bytes ({@code memorybytes})
 * @param outputBytes stdout plus stderr bytes of the run before it is killed ({@code outputbytes})
 */
public record RequestLimits(
        @Nullable Long timeoutMs,
        @Nullable Long compileTimeoutMs,
        @Nullable Long memoryBytes,
        @Nullable Long outputBytes) {

    /** No limit set: the server's own apply. */
    public static final RequestLimits NONE = new RequestLimits(null, null, null, null);

    /** @throws IllegalArgumentException naming the field, if a value is zero or negative */
    public RequestLimits {
        positive("timeoutms", timeoutMs);
        positive("compiletimeoutms", compileTimeoutMs);
        positive("memorybytes", memoryBytes);
        positive("outputbytes", outputBytes);
    }

    private static void positive(String field, @Nullable Long value) {
        if (value != null && value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0: " + value);
        }
    }

    /** Whether no limit is set. */
    public boolean isEmpty() {
        return timeoutMs == null && compileTimeoutMs == null && memoryBytes == null && outputBytes == null;
    }
}
