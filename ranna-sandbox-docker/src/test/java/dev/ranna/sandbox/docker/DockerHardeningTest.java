package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
import static dev.ranna.sandbox.docker.DockerTestSupport.client;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ulimit;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import dev.ranna.sandbox.tck.Deadline;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The container profile, read back from a live run, and hostile programs against it, on the engine's
 * default runtime (runc); {@link RunscHardeningTest} runs the same on gVisor.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerHardeningTest {

    private static final long MEMORY = 64L * 1024 * 1024;

    private SandboxConfig config;
    private DockerSandbox sandbox;

    @BeforeAll
    void createSandbox() throws Exception {
        assumeRuntime();
        var keys = new java.util.ArrayList<>(List.of(
                DockerSandboxConfig.POOL_SIZE, "1", DockerSandboxConfig.PIDS, "64", DockerSandboxConfig.FSIZE, "8M"));
        runtime().ifPresent(r -> keys.addAll(List.of(SandboxConfig.RUNTIME, r)));
        config = config(keys.toArray(String[]::new));
        sandbox = DockerTestSupport.create(config);
    }

    DockerSandbox sandbox() {
        return sandbox;
    }

    /** Skips (fails under CI) when the runtime under test is missing. */
    void assumeRuntime() {
        assumeDocker();
    }

    /** {@code sandbox.runtime}, if set; empty: the engine's default. */
    java.util.Optional<String> runtime() {
        return java.util.Optional.empty();
    }

    /** What {@code docker inspect} reports as the container's runtime. */
    String inspectedRuntime() {
        return "runc";
    }

    /** The kernel release a run must see: the host's own, since runc shares the host kernel. */
    String expectedKernelRelease() throws Exception {
        return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/osrelease"))
                .trim();
    }

    /** The pids cgroup limit for {@code pids} processes: the same number on runc. */
    long expectedHostPidsLimit(long pids) {
        return pids;
    }

    /** Whether the kernel's {@code /proc/self/status} has a NoNewPrivs line (Linux's does). */
    boolean statusShowsNoNewPrivs() {
        return true;
    }

    /** The isolation {@code info()} must report. */
    String expectedIsolation() {
        return "shared host kernel";
    }

    @AfterAll
    void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    private ExitStatus exit(Execution run) throws Exception {
        return run.exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Test
    void aLiveRunContainerHasTheHardenedProfile() throws Exception {
        var sink = new RecordingSink();
        var request = request(
                SH,
                "id -u; id -g\n" + "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status\n" + "echo ready; sleep 30",
                List.of(),
                Map.of(),
                Duration.ofSeconds(30));
        Execution run = sandbox.start(request, sink);
        await(Duration.ofSeconds(20), "ready", () -> sink.stdout().contains("ready"));
        String id = ((DockerExecution) run).containerId();
        InspectContainerResponse inspect = client().inspectContainerCmd(id).exec();
        Integer leased = sandbox.leasedUids().get(id);
        run.kill();
        exit(run);

        HostConfig host = inspect.getHostConfig();
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertThat(inspect.getConfig().getNetworkDisabled()).isTrue();
        assertThat(inspect.getNetworkSettings().getNetworks()).doesNotContainKeys("bridge", "host");
        assertThat(host.getRuntime()).as("docker inspect: HostConfig.Runtime").isEqualTo(inspectedRuntime());
        assertThat(host.getMemory()).isEqualTo(MEMORY);
        assertThat(host.getMemorySwap()).isEqualTo(MEMORY);
        assertThat(host.getPidsLimit()).isEqualTo(expectedHostPidsLimit(64));
        assertThat(host.getNanoCPUs()).isEqualTo(1_000_000_000L);
        assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(host.getCapAdd()).isNullOrEmpty();
        assertThat(host.getPrivileged()).isFalse();
        assertThat(host.getSecurityOpts()).contains("no-new-privileges");
        assertThat(host.getReadonlyRootfs()).isTrue();
        assertThat(host.getInit()).isTrue();
        assertThat(host.getBinds()).isNullOrEmpty();
        assertThat(inspect.getMounts()).isNullOrEmpty(); // tmpfs only: no bind, no volume
        assertThat(leased).as("the container's uid lease").isNotNull();
        assertThat(sandbox.leasedUids()).as("released with the container").doesNotContainKey(id);
        String uid = Integer.toString(leased);
        assertThat(host.getTmpFs()).containsOnlyKeys("/work", "/tmp", "/dev/pts");
        assertThat(host.getTmpFs().get("/work"))
                .contains("size=" + MEMORY, "uid=" + uid + ",gid=" + uid, "nosuid", "nodev");
        assertThat(host.getTmpFs().get("/tmp")).contains("uid=" + uid + ",gid=" + uid);
        assertThat(host.getTmpFs().get("/dev/pts")).startsWith("ro,");
        assertThat(host.getLogConfig().getType().getType()).isEqualTo("none");
        assertThat(Arrays.stream(host.getUlimits()).map(Ulimit::getName)).contains("nofile", "fsize", "core");
        assertThat(Arrays.stream(host.getUlimits()).filter(u -> u.getName().equals("core")))
                .allMatch(u -> u.getHardLong() == 0L && u.getSoftLong() == 0L);
        assertThat(inspect.getConfig().getUser()).isEqualTo(uid + ":" + uid);
        assertThat(Integer.parseInt(uid)).isBetween(1_900_000_000, 1_900_000_000 + 4095);
        assertThat(inspect.getConfig().getLabels())
                .containsEntry(Labels.SANDBOX, "docker")
                .containsEntry(Labels.INSTANCE, config.instanceId())
                .containsEntry(Labels.OWNER, Labels.owner())
                .containsEntry(Labels.SPEC, "sh");
        assertThat(inspect.getName())
                .isEqualTo("/" + Containers.runName(request.runId().value()));

        assertThat(sink.stdout())
                .startsWith(uid + "\n" + uid + "\n")
                .contains("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000");
        if (statusShowsNoNewPrivs()) {
            assertThat(sink.stdout()).contains("NoNewPrivs:\t1");
        }
    }

    @Test
    void runsSeeTheRuntimesKernelAndInfoNamesIt() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = exit(sandbox.start(request("uname -r"), sink));
        assertThat(status.exitCode())
                .as("%s, stdout %s, stderr %s", status, sink.stdout(), sink.stderr())
                .isZero();
        assertThat(sink.stdout().trim()).isEqualTo(expectedKernelRelease());
        assertThat(sandbox.info().get("isolation")).isEqualTo("docker container per run, " + expectedIsolation());
        assertThat(sandbox.info().get("runtime")).startsWith(inspectedRuntime() + " (");
    }

    @Test
    void theRootFilesystemIsReadOnlyAndOnlyTheWorkDirAndTmpAreWritable() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request(
                        "for f in /x /etc/x /bin/x /work/x /tmp/x; do"
                                + " if echo hi > $f 2>/dev/null; then echo \"$f writable\"; else echo \"$f refused\"; fi; done"),
                sink));
        assertThat(status.exitCode())
                .as("%s, stdout %s, stderr %s", status, sink.stdout(), sink.stderr())
                .isZero();
        assertThat(sink.stdout())
                .isEqualTo("/x refused\n/etc/x refused\n/bin/x refused\n/work/x writable\n/tmp/x writable\n");
    }

    @Test
    void thereIsNoNetworkButLoopback() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '\n"
                        + "nc -w 2 1.1.1.1 53 </dev/null && echo connected || echo no-connection\n"
                        + "nc -w 2 172.17.0.1 2375 </dev/null && echo connected || echo no-connection"),
                sink));
        assertThat(status.exitCode())
                .as("%s, stdout %s, stderr %s", status, sink.stdout(), sink.stderr())
                .isZero();
        assertThat(sink.stdout()).isEqualTo("lo\nno-connection\nno-connection\n");
    }

    @Test
    void aForkBombHitsThePidsLimitAndIsCleanedUp() throws Exception {
        var sink = new RecordingSink();
        long start = System.nanoTime();
        Execution run =
                sandbox.start(request(SH, "b() { b | b & }; b", List.of(), Map.of(), Duration.ofSeconds(3)), sink);
        try (Deadline deadline = Deadline.kill(run, Duration.ofSeconds(3))) {
            exit(run);
            // the bomb's first shell returns at once; its children die with the container
            assertThat(deadline.fired()).as("ended before the timeout").isFalse();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        assertThat(client().listContainersCmd()
                        .withShowAll(true)
                        .withIdFilter(List.of(((DockerExecution) run).containerId()))
                        .exec())
                .isEmpty();
    }

    @Test
    void forkingStopsAtThePidsLimit() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request("(n=0; while [ $n -lt 200 ]; do sleep 30 & n=$((n+1)); done) 2>/dev/null\n"
                        + "c=0; for p in /proc/[0-9]*; do c=$((c+1)); done; echo \"$c\""),
                sink));
        assertThat(status.exitCode())
                .as("%s, stdout %s, stderr %s", status, sink.stdout(), sink.stderr())
                .isZero();
        assertThat(Integer.parseInt(sink.stdout().trim())).isBetween(2, 64);
    }

    @Test
    void aMemoryBombIsOomKilled() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = exit(sandbox.start(request("x=0123456789abcdef; while :; do x=\"$x$x\"; done"), sink));
        assertThat(status.oomKilled()).isTrue();
        assertThat(status.signal()).isEqualTo("SIGKILL");
    }

    @Test
    void anOutputFloodIsBoundedByTheTimeoutAndEndsPromptly() throws Exception {
        var counting = new java.util.concurrent.atomic.AtomicLong();
        long start = System.nanoTime();
        Execution run = sandbox.start(
                request(SH, "yes flood", List.of(), Map.of(), Duration.ofSeconds(2)),
                (stream, bytes, offset, length) -> counting.addAndGet(length));
        try (Deadline deadline = Deadline.kill(run, Duration.ofSeconds(2))) {
            exit(run);
            assertThat(deadline.fired()).as("ended by the timeout").isTrue();
        }
        assertThat(counting.get()).isGreaterThan(1024 * 1024);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aWriteBiggerThanTheFileSizeLimitFails() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request("(head -c 20000000 /dev/zero > /tmp/big); echo \"rc=$?\"; wc -c < /tmp/big"), sink));
        assertThat(status.exitCode())
                .as("%s, stdout %s, stderr %s", status, sink.stdout(), sink.stderr())
                .isZero();
        assertThat(sink.stdout()).doesNotStartWith("rc=0");
        assertThat(Long.parseLong(sink.stdout().split("\n")[1].trim())).isEqualTo(8L * 1024 * 1024);
    }
}
