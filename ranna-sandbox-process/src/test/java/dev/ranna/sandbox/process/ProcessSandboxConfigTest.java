package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.UidLeases;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessSandboxConfigTest {

    @Test
    void defaultsAreSafe() {
        var config = ProcessSandboxConfig.from(SandboxConfig.defaults());
        assertThat(config.isolation()).isEqualTo(ProcessSandboxConfig.Isolation.BUBBLEWRAP);
        assertThat(config.memoryBytes()).isEqualTo(100L << 20);
        assertThat(config.networking()).isFalse();
        assertThat(config.pids()).isEqualTo(128);
        assertThat(config.nofile()).isEqualTo(256);
        assertThat(config.tmpSizeBytes()).isEqualTo(16L << 20);
        assertThat(config.workSizeBytes()).isEqualTo(64L << 20);
        assertThat(config.cgroups()).isTrue();
        assertThat(config.uidBase()).isEqualTo(2_000_000_000);
        assertThat(config.bwrap()).isEmpty();
    }

    @Test
    void uidsComeFromARangeLeasedHostWide() {
        var defaults = ProcessSandboxConfig.from(SandboxConfig.defaults());
        assertThat(defaults.slots()).isEqualTo(256);
        assertThat(defaults.uidCount()).as("room for two servers of 256 slots").isEqualTo(1024);
        assertThat(defaults.uidLeaseDir()).isEqualTo(UidLeases.defaultDirectory());
        var set = ProcessSandboxConfig.from(SandboxConfig.defaults()
                .with(ProcessSandboxConfig.SLOTS, "8")
                .with(ProcessSandboxConfig.UID_LEASE_DIR, "/var/lib/ranna/uids"));
        assertThat(set.uidCount()).isEqualTo(32);
        assertThat(set.uidLeaseDir()).isEqualTo(Path.of("/var/lib/ranna/uids"));
        assertThatThrownBy(() -> ProcessSandboxConfig.from(SandboxConfig.defaults()
                        .with(ProcessSandboxConfig.SLOTS, "8")
                        .with(ProcessSandboxConfig.UID_COUNT, "7")))
                .hasMessageContaining(ProcessSandboxConfig.UID_COUNT)
                .hasMessageContaining("'7'");
        assertThatThrownBy(() -> ProcessSandboxConfig.from(SandboxConfig.defaults()
                        .with(ProcessSandboxConfig.UID_BASE, "2147483000")
                        .with(ProcessSandboxConfig.UID_COUNT, "1000")))
                .hasMessageContaining(ProcessSandboxConfig.UID_COUNT);
        assertThatThrownBy(() -> ProcessSandboxConfig.from(
                        SandboxConfig.defaults().with(ProcessSandboxConfig.UID_LEASE_DIR, "relative")))
                .hasMessageContaining(UidLeases.DIRECTORY);
    }

    @Test
    void cpuTimeDefaultsToTheTimeoutRoundedUp() {
        var config = ProcessSandboxConfig.from(SandboxConfig.defaults());
        assertThat(config.cpuSecondsFor(Duration.ofMillis(1500))).isEqualTo(2);
        assertThat(config.cpuSecondsFor(Duration.ofMillis(10))).isEqualTo(1);
        var fixed = ProcessSandboxConfig.from(SandboxConfig.defaults().with(ProcessSandboxConfig.CPU_SECONDS, "3"));
        assertThat(fixed.cpuSecondsFor(Duration.ofSeconds(60))).isEqualTo(3);
    }

    @Test
    void valuesAreParsed() {
        var config = ProcessSandboxConfig.from(SandboxConfig.defaults()
                .with(ProcessSandboxConfig.ISOLATION, "NONE")
                .with(SandboxConfig.MEMORY, "256M")
                .with(SandboxConfig.ENABLE_NETWORKING, "true")
                .with(ProcessSandboxConfig.PIDS, "32")
                .with(ProcessSandboxConfig.TMP_SIZE, "1G")
                .with(ProcessSandboxConfig.BIND, "/opt/a, /opt/b")
                .with(ProcessSandboxConfig.CGROUPS, "off")
                .with(ProcessSandboxConfig.BWRAP, "/opt/bwrap"));
        assertThat(config.isolation()).isEqualTo(ProcessSandboxConfig.Isolation.NONE);
        assertThat(config.memoryBytes()).isEqualTo(256L << 20);
        assertThat(config.networking()).isTrue();
        assertThat(config.pids()).isEqualTo(32);
        assertThat(config.tmpSizeBytes()).isEqualTo(1L << 30);
        assertThat(config.binds()).containsExactly(Path.of("/opt/a"), Path.of("/opt/b"));
        assertThat(config.cgroups()).isFalse();
        assertThat(config.bwrap()).contains(Path.of("/opt/bwrap"));
    }

    @Test
    void theSyscallFilterIsOnUnlessTurnedOff() {
        assertThat(ProcessSandboxConfig.from(SandboxConfig.defaults()).seccomp())
                .isTrue();
        assertThat(ProcessSandboxConfig.from(SandboxConfig.defaults().with(ProcessSandboxConfig.SECCOMP, "OFF"))
                        .seccomp())
                .isFalse();
        assertThatThrownBy(() ->
                        ProcessSandboxConfig.from(SandboxConfig.defaults().with(ProcessSandboxConfig.SECCOMP, "maybe")))
                .hasMessageContaining("sandbox.process.seccomp")
                .hasMessageContaining("'maybe'");
    }

    @Test
    void badValuesNameTheKeyAndTheValue() {
        assertThatThrownBy(() -> ProcessSandboxConfig.from(
                        SandboxConfig.defaults().with(ProcessSandboxConfig.ISOLATION, "chroot")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sandbox.process.isolation")
                .hasMessageContaining("'chroot'");
        assertThatThrownBy(
                        () -> ProcessSandboxConfig.from(SandboxConfig.defaults().with(ProcessSandboxConfig.PIDS, "0")))
                .hasMessageContaining("sandbox.process.pids")
                .hasMessageContaining("'0'");
        assertThatThrownBy(() -> ProcessSandboxConfig.from(
                        SandboxConfig.defaults().with(ProcessSandboxConfig.BIND, "relative/dir")))
                .hasMessageContaining("sandbox.process.bind")
                .hasMessageContaining("absolute");
        assertThatThrownBy(() ->
                        ProcessSandboxConfig.from(SandboxConfig.defaults().with(ProcessSandboxConfig.UID_BASE, "0")))
                .hasMessageContaining("sandbox.process.uidbase");
        assertThatThrownBy(() -> ProcessSandboxConfig.from(
                        SandboxConfig.defaults().with(ProcessSandboxConfig.UID_BASE, "2147483500")))
                .hasMessageContaining("exceed");
    }
}
