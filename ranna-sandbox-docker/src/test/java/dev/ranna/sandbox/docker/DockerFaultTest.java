package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
import static dev.ranna.sandbox.docker.DockerTestSupport.client;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.containersOf;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Faults: the container killed or removed from outside, close with runs in flight, no engine, no image, crashes. */
class DockerFaultTest {

    private static Execution startSleeper(DockerSandbox sandbox, RecordingSink sink) throws Exception {
        Execution run =
                sandbox.start(request(SH, "echo ready; sleep 30", List.of(), Map.of(), Duration.ofSeconds(60)), sink);
        await(Duration.ofSeconds(20), "ready", () -> sink.stdout().contains("ready"));
        return run;
    }

    @Test
    void aContainerKilledFromOutsideEndsTheRunExceptionally() throws Exception {
        assumeDocker();
        SandboxConfig config = config(DockerSandboxConfig.POOL_SIZE, "0");
        try (DockerSandbox sandbox = DockerTestSupport.create(config)) {
            Execution run = startSleeper(sandbox, new RecordingSink());
            client().killContainerCmd(((DockerExecution) run).containerId()).exec();
            assertThatThrownBy(() -> run.exit().toCompletableFuture().get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("stopped outside the sandbox")
                    .satisfies(e -> assertThat(((SandboxException) e).code()).isEqualTo(ErrorCode.INTERNAL));
            assertThat(containersOf(config.instanceId())).isEmpty();
        }
    }

    @Test
    void aContainerRemovedFromOutsideEndsTheRunExceptionally() throws Exception {
        assumeDocker();
        SandboxConfig config = config();
        try (DockerSandbox sandbox = DockerTestSupport.create(config)) {
            Execution run = startSleeper(sandbox, new RecordingSink());
            client().removeContainerCmd(((DockerExecution) run).containerId())
                    .withForce(true)
                    .exec();
            assertThatThrownBy(() -> run.exit().toCompletableFuture().get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(SandboxException.class);
        }
    }

    @Test
    void closeWithRunsInFlightEndsThemAndRemovesEveryContainer() throws Exception {
        assumeDocker();
        SandboxConfig config = config(DockerSandboxConfig.POOL_SIZE, "2");
        DockerSandbox sandbox = DockerTestSupport.create(config);
        var runs = new ArrayList<Execution>();
        for (int i = 0; i < 3; i++) {
            runs.add(startSleeper(sandbox, new RecordingSink()));
        }
        await(Duration.ofSeconds(20), "a refilled pool", () -> sandbox.warmContainers(SH) == 2);
        assertThat(containersOf(config.instanceId())).hasSize(5);
        long start = System.nanoTime();
        sandbox.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        for (Execution run : runs) {
            CompletableFuture<?> exit = run.exit().toCompletableFuture();
            assertThat(exit).isDone();
            if (!exit.isCompletedExceptionally()) {
                assertThat(run.exit().toCompletableFuture().get().signal()).isEqualTo("SIGKILL");
            }
        }
        assertThat(containersOf(config.instanceId())).isEmpty();
        assertThatThrownBy(() -> sandbox.start(request("echo late"), new RecordingSink()))
                .isInstanceOf(SandboxException.class)
                .satisfies(e -> assertThat(((SandboxException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
        sandbox.close();
    }

    @Test
    void noEngineMeansUnavailableWithTheSocketAndTheError() throws Exception {
        long start = System.nanoTime();
        Availability availability = new DockerSandboxProvider()
                .availability(
                        SandboxConfig.of(Map.of(DockerSandboxConfig.HOST, "unix:///nonexistent.sock")), List.of());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(availability.available()).isFalse();
        assertThat(availability.reason())
                .startsWith("no usable Docker engine at unix:///nonexistent.sock: ")
                .hasSizeGreaterThan("no usable Docker engine at unix:///nonexistent.sock: ".length());

        assertThatThrownBy(() -> new DockerSandboxProvider()
                        .create(SandboxConfig.of(Map.of(DockerSandboxConfig.HOST, "unix:///nonexistent.sock"))))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("unix:///nonexistent.sock");
    }

    @Test
    void anUnreachableTcpEngineIsReportedWithinTheProbeTime() {
        long start = System.nanoTime();
        Availability availability = new DockerSandboxProvider()
                .availability(SandboxConfig.of(Map.of(DockerSandboxConfig.HOST, "tcp://10.255.255.1:2375")), List.of());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(availability.available()).isFalse();
        assertThat(availability.reason()).contains("tcp://10.255.255.1:2375");
    }

    @Test
    void invalidConfigurationIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> new DockerSandboxProvider()
                        .create(SandboxConfig.of(Map.of(DockerSandboxConfig.USER, "nobody"))))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining(DockerSandboxConfig.USER)
                .hasMessageContaining("nobody");
    }

    @Test
    void aMissingImageThatCannotBePulledIsAnErrorNamingTheImage() throws Exception {
        assumeDocker();
        SandboxConfig config = config(DockerSandboxConfig.POOL_SIZE, "0");
        String image =
                "ranna-test/does-not-exist:" + UUID.randomUUID().toString().substring(0, 8);
        var spec = LanguageSpec.builder("ghost", "main.sh")
                .image(image)
                .entrypoint("/bin/sh")
                .build();
        try (DockerSandbox sandbox = DockerTestSupport.create(config)) {
            assertThatThrownBy(() -> sandbox.start(
                            request(spec, "echo hi", List.of(), Map.of(), Duration.ofSeconds(5)), new RecordingSink()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("image " + image + " is not available: it is not on the Docker host and pulling"
                            + " it failed");
            assertThat(containersOf(config.instanceId())).isEmpty();
        }
    }

    @Test
    void startUpRemovesContainersOfCrashedInstancesButNotOfLiveOnes() throws Exception {
        assumeDocker();
        String[] owner = Labels.owner().split("/");
        String crashedInstance = UUID.randomUUID().toString();
        String liveInstance = UUID.randomUUID().toString();
        // a process id above the kernel's maximum (4194304) never runs
        String crashed = createLabelled(crashedInstance, owner[0] + "/4999999/1");
        String live = createLabelled(liveInstance, Labels.owner());
        try (DockerSandbox sandbox = DockerTestSupport.create(config())) {
            assertThat(containersOf(crashedInstance)).isEmpty();
            assertThat(containersOf(liveInstance)).extracting(c -> c.getId()).containsExactly(live);
        } finally {
            client().removeContainerCmd(live).withForce(true).exec();
            assertThat(containersOf(crashedInstance)).extracting(c -> c.getId()).doesNotContain(crashed);
        }
    }

    private static String createLabelled(String instance, String owner) {
        return client().createContainerCmd(DockerTestSupport.IMAGE)
                .withCmd("true")
                .withLabels(
                        Map.of(Labels.SANDBOX, Labels.SANDBOX_VALUE, Labels.INSTANCE, instance, Labels.OWNER, owner))
                .exec()
                .getId();
    }
}
