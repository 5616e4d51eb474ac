package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

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

    private static String resource(String name) throws IOException {
        try (InputStream in =
                Objects.requireNonNull(DockerIdentityTest.class.getClassLoader().getResourceAsStream(name), name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
