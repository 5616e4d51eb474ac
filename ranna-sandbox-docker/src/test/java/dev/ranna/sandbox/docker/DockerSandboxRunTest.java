package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.config;
import static dev.ranna.sandbox.docker.DockerTestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import dev.ranna.sandbox.tck.Deadline;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Runs through the sandbox against the real engine: output, arguments, environment, exit, pool. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerSandboxRunTest {

    private DockerSandbox sandbox;
    private dev.ranna.engine.spi.SandboxConfig config;

    @BeforeAll
    void createSandbox() throws Exception {
        assumeDocker();
        config = config(DockerSandboxConfig.POOL_SIZE, "2");
        sandbox = DockerTestSupport.create(config);
    }

    @AfterAll
    void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    private ExitStatus run(String code, RecordingSink sink) throws Exception {
        Execution run = sandbox.start(request(code), sink);
        return run.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void stdoutAndStderrArriveApartWithTheExitCode() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = run("echo out; echo err >&2; exit 3", sink);
        assertThat(sink.stdout()).isEqualTo("out\n");
        assertThat(sink.stderr()).isEqualTo("err\n");
        assertThat(status.exitCode()).isEqualTo(3);
        assertThat(status.signal()).isNull();
        assertThat(status.oomKilled()).isFalse();
    }

    @Test
    void codeArgumentsAndEnvironmentArriveExactly() throws Exception {
        var env = new LinkedHashMap<String, String>();
        env.put("PLAIN", "value with 'quotes' and \"double\" and $dollar `tick` \\ backslash");
        env.put("MULTI", "line1\nline2\n");
        env.put("EMPTY", "");
        var args = List.of("a b", "it's", "$(id)", "line\nbreak", "", "-n", "ü→😀");
        String code = "for a in \"$@\"; do printf '[%s]' \"$a\"; done; echo\n"
                + "printf '%s|' \"$PLAIN\" \"$MULTI\" \"$EMPTY\" \"$HOME\" \"$(pwd)\"; echo\n"
                + "cat main.sh | wc -c";
        var sink = new RecordingSink();
        Execution run = sandbox.start(request(SH, code, args, env, Duration.ofSeconds(20)), sink);
        ExitStatus status = run.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(sink.stderr()).isEmpty();
        assertThat(status.exitCode()).isZero();
        String[] lines = sink.stdout().split("\n", -1);
        assertThat(sink.stdout())
                .startsWith("[a b][it's][$(id)][line\nbreak][][-n][ü→😀]\n")
                .contains(
                        "value with 'quotes' and \"double\" and $dollar `tick` \\ backslash|line1\nline2\n||/work|/work|");
        assertThat(lines[lines.length - 2].trim())
                .isEqualTo(Integer.toString(code.getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
    }

    @Test
    void largeCodeWithoutTrailingNewlineIsDeliveredByteForByte() throws Exception {
        var code = new StringBuilder("# ");
        while (code.length() < 400_000) {
            code.append("padding-é-");
        }
        code.append("\nprintf '%s' \"$(md5sum < main.sh | cut -d' ' -f1)\"");
        var sink = new RecordingSink();
        ExitStatus status = run(code.toString(), sink);
        assertThat(status.exitCode()).isZero();
        var md5 = java.security.MessageDigest.getInstance("MD5")
                .digest(code.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(sink.stdout()).isEqualTo(java.util.HexFormat.of().formatHex(md5));
    }

    @Test
    void stdinIsAtEndOfFile() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = run("cat; echo done", sink);
        assertThat(sink.stdout()).isEqualTo("done\n");
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void deathBySignalIsReportedAsTheSignal() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = run("kill -SEGV $$", sink);
        assertThat(status.exitCode()).isNull();
        assertThat(status.signal()).isEqualTo("SIGSEGV");
    }

    @Test
    void exectimeIsTheProgramsWallTime() throws Exception {
        var sink = new RecordingSink();
        ExitStatus status = run("sleep 0.5", sink);
        assertThat(status.elapsed()).isBetween(Duration.ofMillis(500), Duration.ofMillis(1500));
    }

    @Test
    void backgroundChildrenDieWithTheProgram() throws Exception {
        var sink = new RecordingSink();
        long start = System.nanoTime();
        ExitStatus status = run("(sleep 60; echo late) & echo started", sink);
        assertThat(status.exitCode()).isZero();
        assertThat(sink.stdout()).isEqualTo("started\n");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void timeoutKillsTheProgram() throws Exception {
        var sink = new RecordingSink();
        Execution run =
                sandbox.start(request(SH, "echo begin; sleep 60", List.of(), Map.of(), Duration.ofMillis(800)), sink);
        ExitStatus status;
        try (Deadline deadline = Deadline.kill(run, Duration.ofMillis(800))) {
            status = run.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(deadline.fired()).as("killed at the deadline").isTrue();
        }
        assertThat(status.signal()).isEqualTo("SIGKILL");
        assertThat(status.elapsed()).isBetween(Duration.ofMillis(800), Duration.ofSeconds(5));
        assertThat(sink.stdout()).isEqualTo("begin\n");
    }

    @Test
    void killStopsTheProgramAtOnce() throws Exception {
        var sink = new RecordingSink();
        Execution run =
                sandbox.start(request(SH, "echo begin; sleep 60", List.of(), Map.of(), Duration.ofSeconds(30)), sink);
        DockerTestSupport.await(
                Duration.ofSeconds(10), "first output", () -> sink.stdout().equals("begin\n"));
        long start = System.nanoTime();
        run.kill();
        run.kill();
        ExitStatus status = run.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(status.signal()).isEqualTo("SIGKILL");
        assertThat(status.exitCode()).isNull();
        run.kill();
    }

    @Test
    void theContainerIsGoneWhenExitCompletes() throws Exception {
        var sink = new RecordingSink();
        Execution run = sandbox.start(request("hostname"), sink);
        run.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
        String id = ((DockerExecution) run).containerId();
        assertThat(sandbox.client()
                        .listContainersCmd()
                        .withShowAll(true)
                        .withIdFilter(List.of(id))
                        .exec())
                .isEmpty();
    }
}
