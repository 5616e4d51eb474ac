package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A tty run on runc gets a devpts instance of its own with {@code max=} ({@value #PTYS} here), so a program
 * opening terminals in a loop cannot starve the others ({@code kernel.pty.max} is host-wide). Needs the
 * server to run as root (CI does): otherwise skipped, or failed under CI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerPtyBoundTest {

    private static final int PTYS = 8;

    /** Opens /dev/ptmx on fds 3..199, holding each one it gets, and says how many and what bounds them. */
    private static final String GRAB_TERMINALS = "n=0; i=3; while [ $i -lt 200 ]; do"
            + " if command eval \"exec $i<>/dev/ptmx\" 2>/dev/null; then n=$((n+1)); fi; i=$((i+1)); done\n"
            + "echo \"opened $n\"; grep ' /dev/pts ' /proc/self/mountinfo | grep -o 'max=[0-9]*'; echo holding\n"
            + "sleep 60\n";

    private DockerSandbox sandbox;
    private SandboxConfig config;

    @BeforeAll
    void createSandbox() throws Exception {
        assumeDocker();
        Infrastructure.require("root".equals(System.getProperty("user.name")), "mounting a devpts instance needs root");
        config = DockerTestSupport.config(
                DockerSandboxConfig.POOL_SIZE, "0", DockerSandboxConfig.PTYS, Integer.toString(PTYS));
        sandbox = DockerTestSupport.create(config);
    }

    @AfterEach
    void nothingLeftBetweenTests() {
        await(
                Duration.ofSeconds(10),
                "no devpts mount left",
                () -> sandbox.ptyLeftovers().isEmpty());
    }

    @AfterAll
    void closeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            DockerTestSupport.assertNoContainers(config);
            assertThat(sandbox.ptyLeftovers()).isEmpty();
            assertThat(PtyMounts.BASE.resolve("docker-" + config.instanceId())).doesNotExist();
        }
    }

    private record Run(dev.ranna.engine.spi.Execution execution, RecordingSink sink) {
        ExitStatus awaitExit() throws Exception {
            return execution.exit().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static Run start(DockerSandbox on, LanguageSpec spec, String code) throws Exception {
        var request = SandboxRequest.builder(RunId.random(), spec, code)
                .timeout(Duration.ofSeconds(60))
                .stdin(StdinSource.EMPTY)
                .tty(true)
                .build();
        var sink = new RecordingSink();
        return new Run(on.start(request, sink), sink);
    }

    @Test
    void infoSaysTtyRunsArePtyBounded() {
        assertThat(sandbox.info()).containsEntry("tty", "pty-bounded " + PTYS);
    }

    @Test
    void aRunOpeningTerminalsInALoopGetsItsBoundWhileAnotherRunStillGetsItsTerminal() throws Exception {
        Run hostile = start(sandbox, SH, GRAB_TERMINALS);
        await(
                Duration.ofSeconds(30),
                "the hostile run holding its terminals",
                () -> hostile.sink().stdout().contains("holding"));
        // the console is one of the instance's PTYS terminals
        assertThat(hostile.sink().stdout()).contains("opened " + (PTYS - 1) + "\r\n", "max=" + PTYS + "\r\n");
        assertThat(sandbox.ptyLeftovers()).hasSize(1); // its mount, seen by the leak check while it runs

        Run other = start(sandbox, SH, "tty; stty size; exec 3<>/dev/ptmx && echo another");
        ExitStatus otherStatus = other.awaitExit();
        assertThat(other.sink().stdout()).isEqualTo("/dev/pts/0\r\n24 80\r\nanother\r\n");
        assertThat(otherStatus.exitCode()).isZero();
        assertThat(hostile.execution().exit().toCompletableFuture()).isNotDone();

        hostile.execution().kill();
        assertThat(hostile.awaitExit().killedBySigkill()).isTrue();
        assertThat(sandbox.ptyLeftovers()).isEmpty(); // removed before exit() completes
    }

    @Test
    void aRunWhoseContainerCannotBeCreatedLeavesNoMount() {
        LanguageSpec absent = LanguageSpec.builder("absent", "main.sh")
                .image("ranna-test/absent:none")
                .entrypoint("/bin/sh")
                .language("shell")
                .build();
        assertThatThrownBy(() -> start(sandbox, absent, "echo never"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("ranna-test/absent:none");
        assertThat(sandbox.ptyLeftovers()).isEmpty();
    }

    @Test
    void closeRemovesTheMountOfARunStillGoing() throws Exception {
        SandboxConfig own = DockerTestSupport.config(
                DockerSandboxConfig.POOL_SIZE, "0", DockerSandboxConfig.PTYS, Integer.toString(PTYS));
        DockerSandbox closing = DockerTestSupport.create(own);
        try {
            Run run = start(closing, SH, "echo up; sleep 60");
            await(
                    Duration.ofSeconds(30),
                    "the run up",
                    () -> run.sink().stdout().contains("up"));
            assertThat(closing.ptyLeftovers()).hasSize(1);
        } finally {
            closing.close();
        }
        DockerTestSupport.assertNoContainers(own);
        assertThat(closing.ptyLeftovers()).isEmpty();
        assertThat(Files.exists(PtyMounts.BASE.resolve("docker-" + own.instanceId())))
                .isFalse();
    }

    @Test
    void gvisorIsLeftAsIsItsTerminalsAreTheSentrysOwn() throws Exception {
        DockerTestSupport.assumeRunsc();
        SandboxConfig own = DockerTestSupport.config(
                DockerSandboxConfig.POOL_SIZE, "0", SandboxConfig.RUNTIME, DockerTestSupport.RUNSC);
        DockerSandbox gvisor = DockerTestSupport.create(own);
        try {
            assertThat(gvisor.info().get("tty")).startsWith("pty-bounded by gVisor");
            // gVisor's own devpts: a program opens terminals there, none of them the host's
            Run run = start(gvisor, SH, "[ -t 0 ] && echo tty; stty size; exec 3<>/dev/ptmx && echo another");
            ExitStatus status = run.awaitExit();
            assertThat(run.sink().stdout()).isEqualTo("tty\r\n24 80\r\nanother\r\n");
            assertThat(status.exitCode()).isZero();
            assertThat(PtyMounts.BASE.resolve("docker-" + own.instanceId())).doesNotExist();
        } finally {
            gvisor.close();
        }
    }

    @Test
    void aDaemonOnAnotherMachineLeavesTtyRunsUnboundedAndSaysWhy() {
        var why = new String[1];
        var runc = new OciRuntime("runc", "runc", java.util.List.of(), false);
        assertThat(PtyMounts.detect(PTYS, false, runc, "remote-test", why)).isNull();
        assertThat(why[0]).contains("not on this machine");
        assertThat(PtyMounts.BASE.resolve("docker-remote-test")).doesNotExist();
    }
}
