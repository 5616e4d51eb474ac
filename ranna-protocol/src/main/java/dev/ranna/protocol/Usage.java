package dev.ranna.protocol;

/**
 * What a run's program consumed, measured by the sandbox: STOP's and the REST response's {@code usage}
 * object, {@code {"cputimems": int, "memorybytes": int}} (feature {@code "usage"}).
 *
 * @param cpuTimeMs CPU time, user plus system, of the run stage's whole process tree, in milliseconds
 *     ({@code cputimems})
 * @param memoryBytes peak memory of the run stage's whole process tree, in bytes ({@code memorybytes})
 */
public record Usage(long cpuTimeMs, long memoryBytes) {
    /** @throws IllegalArgumentException if either value is negative */
    public Usage {
        if (cpuTimeMs < 0) {
            throw new IllegalArgumentException("cpuTimeMs must be >= 0: " + cpuTimeMs);
        }
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("memoryBytes must be >= 0: " + memoryBytes);
        }
    }
}
