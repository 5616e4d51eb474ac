package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerProjectTest.THIRTY_TWO_MEGABYTES;
import static dev.ranna.sandbox.docker.DockerProjectTest.shCompiling;
import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import dev.ranna.sandbox.docker.DockerTestSupport.StagedSink;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The other way to change a running container's memory limit, {@code docker update} (runc; a daemon this
 * server cannot reach the cgroups of), does what the cgroup write does: a run's own limit, and the compile
 * stage's limit lowered to the run's at the boundary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerUpdateLimitsTest {

    private DockerSandbox sandbox;
    private SandboxConfig config;

    @BeforeAll
    void createSandbox() throws Exception {
        assumeDocker();
        config = DockerTestSupport.config(DockerSandboxConfig.POOL_SIZE, "1", SandboxConfig.MEMORY, "256M");
        MemoryLimits.forceDockerUpdateForTests = true;
        try {
            sandbox = DockerTestSupport.create(config);
        } finally {
            MemoryLimits.forceDockerUpdateForTests = false;
        }
    }

    @AfterAll
    void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    @Test
    void runsGetTheirOwnLimitAndTheRunStageItsLimitThroughDockerUpdate() throws Exception {
        assertThat(sandbox.info()).containsEntry("memory.per.run", "docker update");
        assertThat(sandbox.capabilities()).contains(Capability.LIMITS);
        var own = new RecordingSink();
        ExitStatus status = sandbox.start(
                        SandboxRequest.builder(RunId.random(), SH, THIRTY_TWO_MEGABYTES)
                                .timeout(Duration.ofSeconds(30))
                                .memoryLimit(32L * 1024 * 1024)
                                .build(),
                        own)
                .exit()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertThat(status.oomKilled()).as("%s %s", status, own.stdout()).isTrue();
        var staged = new StagedSink();
        status = sandbox.start(
                        SandboxRequest.builder(RunId.random(), shCompiling(THIRTY_TWO_MEGABYTES), THIRTY_TWO_MEGABYTES)
                                .timeout(Duration.ofSeconds(30))
                                .memoryLimit(32L * 1024 * 1024)
                                .build(),
                        staged)
                .exit()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertThat(staged.compile().stdout()).isEqualTo("33554432\n");
        assertThat(staged.compiledCalls()).isEqualTo(1);
        assertThat(status.oomKilled()).as("%s %s", status, staged.stdout()).isTrue();
    }
}
