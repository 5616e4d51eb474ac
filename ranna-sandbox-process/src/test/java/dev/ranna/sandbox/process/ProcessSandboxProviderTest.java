package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Isolation;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.ServiceLoader;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessSandboxProviderTest {

    @Test
    void isFoundByServiceLoaderAsProcessWithPriority50() {
        var provider = ServiceLoader.load(SandboxProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p instanceof ProcessSandboxProvider)
                .findFirst()
                .orElseThrow();
        assertThat(provider.name()).isEqualTo("process");
        assertThat(provider.priority()).isEqualTo(50);
    }

    @Test
    void missingBubblewrapIsUnavailableWithTheInstallCommand() {
        var config = ProcessSandboxConfig.from(
                SandboxConfig.defaults().with(ProcessSandboxConfig.BWRAP, "/nonexistent/bwrap"));
        var availability = ProcessSandboxProvider.availability(config);
        assertThat(availability.available()).isFalse();
        assertThat(availability.reason()).contains("apt-get install bubblewrap");
    }

    @Test
    void availabilityProbesTheOperatorsConfigurationAndNamesWhatWasProbed() {
        var provider = new ProcessSandboxProvider();
        var missing = SandboxConfig.defaults().with(ProcessSandboxConfig.BWRAP, "/nonexistent/bwrap");

        var availability = provider.availability(missing, List.of());

        assertThat(availability.available()).isFalse();
        assertThat(availability.reason())
                .contains("/nonexistent/bwrap")
                .contains(ProcessSandboxConfig.BWRAP)
                .contains("apt-get install bubblewrap");
        assertThat(provider.availability(SandboxConfig.defaults().with(ProcessSandboxConfig.PIDS, "many"), List.of())
                        .reason())
                .contains("invalid configuration")
                .contains(ProcessSandboxConfig.PIDS);
    }

    @Test
    void withoutIsolationIsItsOwnConfigurationAndDescribedAsNone() {
        var provider = new ProcessSandboxProvider();
        var missing = SandboxConfig.defaults().with(ProcessSandboxConfig.BWRAP, "/nonexistent/bwrap");
        assertThat(provider.isolation(missing).level()).isEqualTo(Isolation.Level.SHARED_KERNEL);
        assertThat(provider.isolation(missing).description()).contains("bubblewrap");

        SandboxConfig unisolated = provider.withoutIsolation(missing).orElseThrow();

        assertThat(unisolated.get(ProcessSandboxConfig.ISOLATION)).contains("none");
        assertThat(unisolated.instanceId()).isEqualTo(missing.instanceId());
        assertThat(provider.isolation(unisolated).none()).isTrue();
        assertThat(provider.availability(unisolated, List.of()).available()).isTrue();
        assertThat(provider.configKeys())
                .extracting(key -> key.name())
                .contains(ProcessSandboxConfig.ISOLATION, ProcessSandboxConfig.PIDS, ProcessSandboxConfig.SECCOMP)
                .allSatisfy(name -> assertThat(name).startsWith(provider.configPrefix()));
    }

    @Test
    void aBubblewrapThatCannotMakeASandboxIsUnavailableWithItsErrorAndAHint(@TempDir Path dir) throws Exception {
        // Readable by the unprivileged uid the probe runs bwrap as.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path fake = dir.resolve("bwrap");
        Files.writeString(fake, "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        var config =
                ProcessSandboxConfig.from(SandboxConfig.defaults().with(ProcessSandboxConfig.BWRAP, fake.toString()));
        var availability = ProcessSandboxProvider.availability(config);
        assertThat(availability.available()).isFalse();
        assertThat(availability.reason())
                .contains("cannot create a sandbox here", "setting up uid map: Permission denied")
                .contains("apparmor_restrict_unprivileged_userns");
    }

    @Test
    void createRefusesWithoutBubblewrapUnlessIsolationIsOff() throws Exception {
        var missing = SandboxConfig.defaults().with(ProcessSandboxConfig.BWRAP, "/nonexistent/bwrap");
        assertThatThrownBy(() -> new ProcessSandboxProvider().create(missing))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("apt-get install bubblewrap")
                .satisfies(e -> assertThat(((SandboxException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));

        try (var sandbox = new ProcessSandboxProvider().create(missing.with(ProcessSandboxConfig.ISOLATION, "none"))) {
            assertThat(sandbox.info()).containsEntry("isolation", "none").containsEntry("network", "host");
            assertThat(sandbox.version()).contains("no isolation");
            var run = TestSupport.sh(sandbox, "echo plain \"$1\"\n", "run");
            assertThat(run.stdout()).isEqualTo("plain run\n");
        }
    }

    @Test
    void createReapsCgroupsAndDirectoriesOfDeadInstances() throws Exception {
        TestSupport.assumeBubblewrap();
        String deadId = UUID.randomUUID().toString();
        // A dead instance: an owner file naming a finished process, a run directory, and its cgroups.
        Path root = Path.of(System.getProperty("java.io.tmpdir"));
        Path deadDir = Files.createDirectories(root.resolve("ranna-process-" + deadId + "/run-1"));
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        Files.writeString(deadDir.getParent().resolve("owner"), finished.pid() + " 0\n");
        Cgroups deadGroups = Cgroups.detect(deadId);
        Infrastructure.require(!deadGroups.instanceDirs().isEmpty(), "no writable cgroups here");
        deadGroups.newRun("run-1", 64L << 20, 16);

        try (var sandbox = new ProcessSandboxProvider().create(SandboxConfig.defaults())) {
            assertThat(deadDir.getParent()).doesNotExist();
            for (Path dir : deadGroups.instanceDirs()) {
                assertThat(dir).doesNotExist();
            }
        }
    }
}
