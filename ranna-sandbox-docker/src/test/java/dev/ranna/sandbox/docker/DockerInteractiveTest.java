package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Interactive runs against the real engine (runc; {@link RunscInteractiveTest} repeats them on gVisor):
 * standard input with its end, signals to the program's process group, and terminals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerInteractiveTest {

    private DockerSandbox sandbox;
    private SandboxConfig config;

    /** The sandbox's config; the warm pool is on, so runs with input take pooled containers. */
    protected SandboxConfig config() {
        return DockerTestSupport.config(DockerSandboxConfig.POOL_SIZE, "2");
    }

    @BeforeAll
    void createSandbox() throws Exception {
        assumeDocker();
        config = config();
        sandbox = DockerTestSupport.create(config);
    }

    @AfterAll
    void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
        }
    }

    private record Run(Execution execution, RecordingSink sink) {
        ExitStatus awaitExit() throws Exception {
            return execution.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }

        void awaitStdout(String what) {
            await(
                    Duration.ofSeconds(20),
                    "stdout containing " + what,
                    () -> sink.stdout().contains(what));
        }
    }

    private Run start(String code, StdinSource stdin, boolean tty) throws Exception {
        var request = SandboxRequest.builder(RunId.random(), SH, code)
                .timeout(Duration.ofSeconds(30))
                .stdin(stdin)
                .tty(tty)
                .build();
        var sink = new RecordingSink();
        return new Run(sandbox.start(request, sink), sink);
    }

    @Test
    void declaresStdinSignalsAndTerminals() {
        assertThat(sandbox.capabilities()).contains(Capability.STDIN, Capability.SIGNALS, Capability.TTY);
    }

    // ---- standard input

    @Test
    void initialInputArrivesExactlyThenEof() throws Exception {
        byte[] input = new byte[300_000];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) (i * 31 + i / 256);
        }
        Run run = start("cat > /tmp/in; wc -c < /tmp/in; md5sum < /tmp/in", StdinSource.of(input), false);
        ExitStatus status = run.awaitExit();
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(input));
        assertThat(run.sink().stderr()).isEmpty();
        assertThat(run.sink().stdout()).isEqualTo(input.length + "\n" + md5 + "  -\n");
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void interactiveInputIsSeenLineByLineBeforeItsEnd() throws Exception {
        var stdin = new QueueStdin();
        Run run = start("while read -r l; do echo \"got $l\"; done; echo end", stdin, false);
        stdin.send("a\n");
        run.awaitStdout("got a\n");
        stdin.send("b c\n");
        run.awaitStdout("got b c\n");
        assertThat(run.execution().exit().toCompletableFuture()).isNotDone();
        stdin.close();
        ExitStatus status = run.awaitExit();
        assertThat(run.sink().stdout()).isEqualTo("got a\ngot b c\nend\n");
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void withoutInputTheProgramReadsEofAtOnce() throws Exception {
        Run run = start("cat; echo done", StdinSource.EMPTY, false);
        assertThat(run.awaitExit().exitCode()).isZero();
        assertThat(run.sink().stdout()).isEqualTo("done\n");
        var closed = new QueueStdin();
        closed.close();
        Run interactive = start("cat; echo done", closed, false);
        assertThat(interactive.awaitExit().exitCode()).isZero();
        assertThat(interactive.sink().stdout()).isEqualTo("done\n");
    }

    @Test
    void inputANeverReadingProgramIgnoresStaysKillableAndNothingHangs() throws Exception {
        byte[] twoMiB = new byte[2 << 20];
        Run run = start("echo ready; sleep 60", StdinSource.of(twoMiB), false);
        run.awaitStdout("ready\n");
        long start = System.nanoTime();
        run.execution().kill();
        ExitStatus status = run.awaitExit();
        assertThat(status.killedBySigkill()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        await(
                Duration.ofSeconds(5),
                "the stdin pump thread ends",
                () -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().startsWith("ranna-docker-stdin-")));

        Run partial = start("head -c 10 > /dev/null; echo read10", StdinSource.of(twoMiB), false);
        ExitStatus exited = partial.awaitExit();
        assertThat(exited.exitCode()).isZero();
        assertThat(partial.sink().stdout()).isEqualTo("read10\n");
    }

    // ---- signals

    @Test
    void interruptRunsTheShellsTrap() throws Exception {
        Run run = start(
                "trap 'echo caught; exit 7' INT; echo ready; while :; do sleep 1; done", StdinSource.EMPTY, false);
        run.awaitStdout("ready\n");
        run.execution().signal(ProgramSignal.SIGINT);
        ExitStatus status = run.awaitExit();
        assertThat(run.sink().stdout()).isEqualTo("ready\ncaught\n");
        assertThat(status.exitCode()).isEqualTo(7);
        assertThat(status.signal()).isNull();
    }

    @Test
    void terminateIsReportedAsTheSignal() throws Exception {
        Run run = start("echo ready; sleep 30", StdinSource.EMPTY, false);
        run.awaitStdout("ready\n");
        long start = System.nanoTime();
        run.execution().signal(ProgramSignal.SIGTERM);
        ExitStatus status = run.awaitExit();
        assertThat(status.signal()).isEqualTo("SIGTERM");
        assertThat(status.exitCode()).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void stopHaltsTheProgramContinueResumesItAndKillStillWorks() throws Exception {
        Run run = start("i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done", StdinSource.EMPTY, false);
        run.awaitStdout("3\n");
        run.execution().signal(ProgramSignal.SIGSTOP);
        long[] seen = {-1};
        // stopped: no output for a whole second
        Awaitility.await("no output while stopped")
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    long now = run.sink().bytes();
                    boolean same = now == seen[0];
                    seen[0] = now;
                    return same;
                });
        Awaitility.await()
                .during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3))
                .until(() -> run.sink().bytes() == seen[0]);
        run.execution().signal(ProgramSignal.SIGCONT);
        await(
                Duration.ofSeconds(10),
                "output again after SIGCONT",
                () -> run.sink().bytes() > seen[0] + 10);
        run.execution().signal(ProgramSignal.SIGSTOP);
        Awaitility.await("stopped again")
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    long now = run.sink().bytes();
                    boolean same = now == seen[0];
                    seen[0] = now;
                    return same;
                });
        long killed = System.nanoTime();
        run.execution().kill();
        ExitStatus status = run.awaitExit();
        assertThat(status.killedBySigkill()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void signalAndResizeAfterExitDoNothing() throws Exception {
        Run run = start("exit 0", StdinSource.EMPTY, true);
        assertThat(run.awaitExit().exitCode()).isZero();
        run.execution().signal(ProgramSignal.SIGTERM);
        run.execution().signal(ProgramSignal.SIGSTOP);
        run.execution().resize(100, 30);
    }

    @Test
    void anotherSignalOfOursIsReportedByName() throws Exception {
        Run run = start("echo ready; read x; exit 3", new QueueStdin(), false);
        run.awaitStdout("ready\n");
        run.execution().signal(ProgramSignal.SIGUSR1); // ends sh (default action): exit 138, and it was ours
        ExitStatus status = run.awaitExit();
        assertThat(status.signal()).isEqualTo("SIGUSR1");
    }

    // ---- terminals

    @Test
    void aTerminalRunSeesATerminalOf80x24FromTheStart() throws Exception {
        Run run =
                start("[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty; stty size; echo err >&2", StdinSource.EMPTY, true);
        ExitStatus status = run.awaitExit();
        assertThat(run.sink().stdout()).isEqualTo("tty\r\n24 80\r\nerr\r\n");
        assertThat(run.sink().stderr()).isEmpty();
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void aTerminalEchoesInputAndEndsItWithCtrlD() throws Exception {
        var stdin = new QueueStdin();
        Run run = start("read -r l; echo \"got $l\"; cat; printf '\\033[31mred\\033[0m\\n'", stdin, true);
        stdin.send("abc\n");
        run.awaitStdout("got abc\r\n");
        stdin.send("x\n");
        run.awaitStdout("x\r\nx\r\n");
        stdin.close();
        ExitStatus status = run.awaitExit();
        assertThat(run.sink().stdout()).isEqualTo("abc\r\ngot abc\r\nx\r\nx\r\n\033[31mred\033[0m\r\n");
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void aTerminalIsResized() throws Exception {
        var stdin = new QueueStdin();
        Run run = start("trap 'stty size' WINCH; stty size; while :; do sleep 0.1; done", stdin, true);
        run.awaitStdout("24 80\r\n");
        run.execution().resize(100, 30);
        run.awaitStdout("30 100\r\n");
        run.execution().signal(ProgramSignal.SIGINT);
        ExitStatus status = run.awaitExit();
        assertThat(status.signal()).isEqualTo("SIGINT");
    }

    @Test
    void aTerminalRunsCodeWithControlBytesUnchanged() throws Exception {
        String code = "printf '%s' '\r\u0003\u0004\u007f\u001a' | od -An -tx1\n# " + "x".repeat(5000) + "\n";
        Run run = start(code, StdinSource.EMPTY, true);
        ExitStatus status = run.awaitExit();
        assertThat(run.sink().stdout().trim()).isEqualTo("0d 03 04 7f 1a");
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void codeArrivesIntactWhenInputFollows() throws Exception {
        String code = "echo 'ü→😀'; cat\n" + "#".repeat(100_000) + "\n";
        Run run = start(code, StdinSource.of("after".getBytes(StandardCharsets.UTF_8)), false);
        ExitStatus status = run.awaitExit();
        assertThat(run.sink().stdout()).isEqualTo("ü→😀\nafter");
        assertThat(status.exitCode()).isZero();
    }
}
