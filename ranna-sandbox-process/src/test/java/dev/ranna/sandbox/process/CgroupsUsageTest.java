package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.ResourceUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a run's cgroup files become usage, on directories laid out like the kernel's (this host has cgroup
 * v1, so v2 is checked here on its file formats; v1 is also measured for real in the TCK).
 */
class CgroupsUsageTest {

    @Test
    void v1ReadsCpuacctUsageAndMaxUsage(@TempDir Path root) throws Exception {
        Path memory = Files.createDirectory(root.resolve("memory"));
        Path cpuacct = Files.createDirectory(root.resolve("cpuacct"));
        Files.writeString(cpuacct.resolve("cpuacct.usage"), "1234567890\n");
        Files.writeString(memory.resolve("memory.max_usage_in_bytes"), "52428800\n");
        var group = new Cgroups.V1.V1Run(memory, null, cpuacct);
        assertThat(group.usage()).isEqualTo(new ResourceUsage(Duration.ofNanos(1234567890), 52428800));
    }

    @Test
    void v1WithoutCpuacctMeasuresNothing(@TempDir Path root) throws Exception {
        Path memory = Files.createDirectory(root.resolve("memory"));
        Files.writeString(memory.resolve("memory.max_usage_in_bytes"), "52428800\n");
        assertThat(new Cgroups.V1.V1Run(memory, null, null).usage()).isNull();
    }

    @Test
    void anUnreadableCounterMakesUsageAbsentNotZero(@TempDir Path root) throws Exception {
        Path memory = Files.createDirectory(root.resolve("memory"));
        Path cpuacct = Files.createDirectory(root.resolve("cpuacct"));
        Files.writeString(memory.resolve("memory.max_usage_in_bytes"), "52428800\n");
        assertThat(new Cgroups.V1.V1Run(memory, null, cpuacct).usage()).isNull();
    }

    @Test
    void v2ReadsCpuStatAndMemoryPeak(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 998000\nuser_usec 200000\nsystem_usec 798000\n");
        Files.writeString(dir.resolve("memory.peak"), "53477376\n");
        var group = new Cgroups.V2.V2Run(dir);
        assertThat(group.usage()).isEqualTo(new ResourceUsage(Duration.ofMillis(998), 53477376));
    }

    @Test
    void v2WithoutMemoryPeakSamplesMemoryCurrent(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 5000\n");
        Files.writeString(dir.resolve("memory.current"), "60000000\n");
        var group = new Cgroups.V2.V2Run(dir);
        // The poller samples every 5 ms; wait for it to have seen the high value before lowering it.
        var peakSeen = waitUntilSampled(group);
        Files.writeString(dir.resolve("memory.current"), "1000\n");
        assertThat(peakSeen).isTrue();
        assertThat(group.usage()).isEqualTo(new ResourceUsage(Duration.ofMillis(5), 60000000));
    }

    private static boolean waitUntilSampled(Cgroups.V2.V2Run group) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (group.sampledPeak() == 60000000) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }
}
