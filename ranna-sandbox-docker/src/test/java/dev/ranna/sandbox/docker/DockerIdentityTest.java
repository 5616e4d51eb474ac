package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.protocol.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One kernel identity per run: every container runs as a host uid of its own, leased host-wide, so the
 * per-user kernel quotas (here: inotify instances) of one run do not touch another's; and no run can
 * allocate a terminal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerIdentityTest {

    private static final int BASE = 1_900_000_000;

    private SandboxConfig config;
    private DockerSandbox sandbox;

    @BeforeAll
    void createSandbox() throws Exception {
        assumeDocker();
        config = config(DockerSandboxConfig.POOL_SIZE, "1");
        sandbox = DockerTestSupport.create(config);
    }

    @AfterAll
    void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    private static ExitStatus exit(Execution run) throws Exception {
        return run.exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** Starts {@code script} and waits until its output holds {@code marker}. */
    private Started startAndWait(String script, String marker) throws Exception {
        var sink = new DockerTestSupport.RecordingSink();
        Execution run = sandbox.start(request(SH, script, List.of(), Map.of(), Duration.ofSeconds(60)), sink);
        await(
                Duration.ofSeconds(30),
                "'" + marker + "' from the run",
                () -> sink.stdout().contains(marker)
                        || run.exit().toCompletableFuture().isDone());
        return new Started(run, sink, ((DockerExecution) run).containerId());
    }

    private record Started(Execution run, DockerTestSupport.RecordingSink sink, String containerId) {}

    @Test
    void concurrentRunsRunAsDifferentLeasedUids() throws Exception {
        var runs = new ArrayList<Started>();
        for (int i = 0; i < 3; i++) {
            runs.add(startAndWait("echo $(id -u):$(id -g); echo up; sleep 60", "up"));
        }
        var uids = new ArrayList<String>();
        for (Started started : runs) {
            String line = started.sink().stdout().lines().findFirst().orElseThrow();
            Integer leased = sandbox.leasedUids().get(started.containerId());
            assertThat(leased).as("lease of %s", started.containerId()).isNotNull();
            assertThat(line).isEqualTo(leased + ":" + leased);
            assertThat(leased).isBetween(BASE, BASE + 4095);
            uids.add(line);
        }
        assertThat(uids).doesNotHaveDuplicates();
        for (Started started : runs) {
            started.run().kill();
            exit(started.run());
            assertThat(sandbox.leasedUids()).as("released with its container").doesNotContainKey(started.containerId());
        }
    }

    @Test
    void oneRunHoldingEveryInotifyInstanceLeavesOthersTheirOwn() throws Exception {
        // Found by attack: with one shared uid, a run holding max_user_instances inotify instances made
        // every concurrent run of other users fail with inotify_init: EMFILE. busybox has no inotify tool,
        // so a tiny static probe (src/test/resources/probes) goes in as base64.
        // Through a reader: Files.readString of this 0-byte-sized procfs file came back as "1".
        int max = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/fs/inotify/max_user_instances"))
                .get(0)
                .strip());
        String script = "base64 -d > /work/probe <<'EOF'\n" + resource("probes/inotify-probe.b64") + "EOF\n"
                + "chmod 700 /work/probe\n/work/probe\n";
        Started hog = startAndWait(script, "inotify ");
        Started other = startAndWait(script, "inotify ");
        try {
            assertThat(hog.sink().stdout()).as("%s", hog.sink().stderr()).isEqualTo("inotify " + max + " 24\n");
            assertThat(other.sink().stdout())
                    .as("the second run still gets all of its own (EMFILE only at its own limit)")
                    .isEqualTo("inotify " + max + " 24\n");
        } finally {
            hog.run().kill();
            other.run().kill();
            exit(hog.run());
            exit(other.run());
        }
    }

    @Test
    void aRunCannotOpenATerminal() throws Exception {
        var sink = new DockerTestSupport.RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request(
                        SH,
                        "for p in /dev/ptmx /dev/pts/ptmx; do"
                                + " if (exec 3<>$p) 2>/dev/null; then echo \"$p opened\"; else echo \"$p refused\"; fi; done\n"
                                + "ls -A /dev/pts | wc -l\n"
                                + "echo > /dev/null && head -c 4 /dev/urandom | wc -c\n",
                        List.of(),
                        Map.of(),
                        Duration.ofSeconds(30)),
                sink));
        assertThat(status.exitCode()).as("%s %s", status, sink.stderr()).isZero();
        assertThat(sink.stdout()).isEqualTo("/dev/ptmx refused\n/dev/pts/ptmx refused\n0\n4\n");
    }

    @Test
    void anOperatorsFixedUserStillWinsAndTakesNoLease() throws Exception {
        var fixed = config(DockerSandboxConfig.POOL_SIZE, "0", DockerSandboxConfig.USER, "65534:65534");
        try (DockerSandbox shared = DockerTestSupport.create(fixed)) {
            var sink = new DockerTestSupport.RecordingSink();
            ExitStatus status = exit(shared.start(request("id -u; id -g\n"), sink));
            assertThat(status.exitCode()).isZero();
            assertThat(sink.stdout()).isEqualTo("65534\n65534\n");
            assertThat(shared.leasedUids()).isEmpty();
            assertThat(shared.info()).containsEntry("user", "65534:65534");
        }
        DockerTestSupport.assertNoContainers(fixed);
    }

    @Test
    void aContainerLeftByACrashedServerIsRemovedBeforeItsUidIsUsedAgain(@TempDir Path leaseDir) throws Exception {
        // A crashed server's lock is gone at once, but its containers run on until some server starts and
        // reaps them. A live server leasing that uid meanwhile would share it with the orphan.
        int uid = BASE + 100_000;
        var single = config(
                DockerSandboxConfig.POOL_SIZE,
                "0",
                DockerSandboxConfig.UID_BASE,
                Integer.toString(uid),
                DockerSandboxConfig.UID_COUNT,
                "1",
                UidLeases.DIRECTORY,
                leaseDir.toString());
        try (DockerSandbox server = DockerTestSupport.create(single)) {
            String[] host = Labels.owner().split("/");
            String deadOwner = host[0] + "/999999999/1";
            String orphan = plant(uid, deadOwner);
            try {
                var sink = new DockerTestSupport.RecordingSink();
                ExitStatus status = exit(server.start(request("id -u\n"), sink));
                assertThat(status.exitCode()).as("%s", sink.stderr()).isZero();
                assertThat(sink.stdout()).isEqualTo(uid + "\n");
                assertThat(DockerTestSupport.client()
                                .listContainersCmd()
                                .withShowAll(true)
                                .withIdFilter(List.of(orphan))
                                .exec())
                        .as("the orphan running as the leased uid was removed first")
                        .isEmpty();
            } finally {
                removeQuietly(orphan);
            }

            // A container of a live owner (here: this JVM, as if another sandbox of it) makes the uid unusable.
            String live = plant(uid, Labels.owner());
            try {
                assertThatThrownBy(() -> server.start(request("id -u\n"), new DockerTestSupport.RecordingSink()))
                        .isInstanceOfSatisfying(
                                SandboxException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
            } finally {
                removeQuietly(live);
            }
        }
        DockerTestSupport.assertNoContainers(single);
    }

    private static void removeQuietly(String id) {
        try {
            DockerTestSupport.client().removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException e) {
            // Removed by the sandbox, as it should be.
        }
    }

    /** A running container as {@code uid}, labelled like one of the sandbox's, owned by {@code owner}. */
    private static String plant(int uid, String owner) {
        String id = DockerTestSupport.client()
                .createContainerCmd(DockerTestSupport.IMAGE)
                .withCmd("sleep", "600")
                .withUser(uid + ":" + uid)
                .withLabels(Map.of(
                        Labels.SANDBOX,
                        Labels.SANDBOX_VALUE,
                        Labels.INSTANCE,
                        "crashed-" + UUID.randomUUID(),
                        Labels.OWNER,
                        owner,
                        Labels.UID,
                        Integer.toString(uid)))
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                .exec()
                .getId();
        DockerTestSupport.client().startContainerCmd(id).exec();
        return id;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in =
                Objects.requireNonNull(DockerIdentityTest.class.getClassLoader().getResourceAsStream(name), name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
