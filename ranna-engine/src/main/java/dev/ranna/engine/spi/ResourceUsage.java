package dev.ranna.engine.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What a run's whole process tree consumed, as the sandbox measured it (typically from the run's cgroup,
 * read before the cgroup is removed).
 *
 * @param cpuTime CPU time, user plus system, of every process of the run
 * @param peakMemoryBytes the highest memory use of the run's processes together, in bytes
 */
public record ResourceUsage(Duration cpuTime, long peakMemoryBytes) {
    /** @throws IllegalArgumentException if either value is negative */
    public ResourceUsage {
        Objects.requireNonNull(cpuTime, "cpuTime");
        if (cpuTime.isNegative()) {
            throw new IllegalArgumentException("cpuTime must be >= 0: " + cpuTime);
        }
        if (peakMemoryBytes < 0) {
            throw new IllegalArgumentException("peakMemoryBytes must be >= 0: " + peakMemoryBytes);
        }
    }
}
