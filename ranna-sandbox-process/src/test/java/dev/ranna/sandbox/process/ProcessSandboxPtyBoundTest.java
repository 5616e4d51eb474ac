package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.process.ProcessSandboxInteractiveTest.Feed;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A terminal run's pseudo-terminals are bounded by a devpts of its own ({@link Ptys}): tried as an
 * attacker would, with real bubblewrap as root.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessSandboxPtyBoundTest {
    private static final int MAX = 4;

    /**
     * Opens {@code /dev/ptmx} until it fails (at most 50 times), says how many it holds and why the next
     * failed, then holds them until a line arrives on stdin.
     */
    private static final String HOG = "perl -e 'my @f; while (@f < 50) { open(my $h, \"+<\", \"/dev/ptmx\") or last;"
            + " push @f, $h } print \"opened \", scalar(@f), \": $!\\n\"; <STDIN>; print \"released\\n\"'\n";

    private ProcessSandbox sandbox;

    /**
     * Bounded at {@link #MAX}; no prestarted launcher: the leak checks of one sandbox would count another's
     * idle launcher (ProcessSandboxPrestartTest runs terminals through prestarted launchers, bounded too).
     */
    private static SandboxConfig config() {
        return SandboxConfig.defaults()
                .with(ProcessSandboxConfig.PTYS, Integer.toString(MAX))
                .with(ProcessSandboxConfig.PRESTART, "off");
    }

    @BeforeAll
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        TestSupport.assumeRoot();
        sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(config());
    }

    @AfterAll
    void close() {
        if (sandbox != null) {
            sandbox.close();
            assertThat(Leftovers.of(sandbox, true)).isEmpty();
        }
    }

    private static ProcessSandboxInteractiveTest.Started start(ProcessSandbox sandbox, String script, StdinSource stdin)
            throws Exception {
        RunId runId = RunId.random();
        var request = SandboxRequest.builder(runId, TestSupport.sh(), script)
                .timeout(TIMEOUT)
                .stdin(stdin)
                .tty(true)
                .build();
        var sink = CollectingSink.create();
        Execution execution = sandbox.start(request, sink);
        sink.attach(execution);
        return new ProcessSandboxInteractiveTest.Started(runId, execution, sink);
    }

    private static int opened(String stdout) {
        Matcher matcher = Pattern.compile("opened (\\d+): ").matcher(stdout);
        assertThat(matcher.find()).as("stdout %s", stdout).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    @Test
    void theInfoSaysTerminalsAreBounded() {
        assertThat(sandbox.info()).containsEntry("tty", "pty-bounded " + MAX);
    }

    @Test
    void aRunOpeningPtysInALoopGetsAtMostMaxWhileASecondRunStillGetsItsTerminal() throws Exception {
        var hog = new Feed();
        var attacker = start(sandbox, HOG, hog);
        attacker.awaitStdout("opened ");
        // Its own terminal (script's) is one of the MAX; the kernel refuses the next with ENOSPC.
        assertThat(opened(attacker.sink().stdout())).isEqualTo(MAX - 1);
        assertThat(attacker.sink().stdout()).contains("No space left on device");
        // Only one devpts of this sandbox is mounted, with max=: the attacker's.
        assertThat(Ptys.mountsUnder(sandbox.workDirs().base())).hasSize(1);

        // While the attacker holds all of its own, another terminal run has its terminal, and its own MAX.
        var feed = new Feed();
        var second = start(
                sandbox, "[ -t 0 ] && [ -t 1 ] && echo tty; stty size; tty; read -r x; echo \"got $x\";\n" + HOG, feed);
        second.awaitStdout("24 80\r\n");
        feed.send("abc\n");
        second.awaitStdout("got abc");
        second.awaitStdout("opened ");
        assertThat(opened(second.sink().stdout())).isEqualTo(MAX - 1);
        assertThat(second.sink().stdout()).startsWith("tty\r\n24 80\r\n/dev/pts/0\r\n");
        feed.send("\n");
        feed.end();
        ExitStatus status = second.await();
        assertThat(status.exitCode())
                .as("%s %s", status, second.sink().stderr())
                .isZero();
        assertThat(second.sink().stdout()).endsWith("released\r\n");

        hog.send("\n");
        hog.end();
        assertThat(attacker.await().exitCode()).isZero();
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void aKilledRunHoldingPtysLeavesNoMount() throws Exception {
        var attacker = start(sandbox, HOG, new Feed());
        attacker.awaitStdout("opened ");
        assertThat(Ptys.mountsUnder(sandbox.workDirs().base())).hasSize(1);
        attacker.execution().kill();
        assertThat(attacker.await().signal()).isEqualTo("SIGKILL");
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void runsWithoutATerminalStillHaveNoPtmxAndNoMount() throws Exception {
        var run =
                TestSupport.sh(sandbox, "ls /dev; [ -e /dev/ptmx ] || echo no-ptmx; [ -e /dev/pts ] || echo no-pts\n");
        assertThat(run.status().exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("no-ptmx\nno-pts\n");
    }

    @Test
    void closingTheSandboxUnmountsARunningRunsDevpts() throws Exception {
        ProcessSandbox own = (ProcessSandbox) new ProcessSandboxProvider().create(config());
        try {
            var attacker = start(own, HOG, new Feed());
            attacker.awaitStdout("opened ");
            assertThat(Ptys.mountsUnder(own.workDirs().base())).hasSize(1);
        } finally {
            own.close();
        }
        assertThat(Leftovers.of(own, true)).isEmpty();
    }

    @Test
    void aDeadInstancesDevptsIsUnmountedWhenItsDirectoryIsReaped(@TempDir Path root) throws Exception {
        String dead = "dead-" + UUID.randomUUID();
        Path base = root.resolve(WorkDirs.PREFIX + dead);
        Files.createDirectories(base);
        // Run uids must pass through a work root (see Ptys.detect), as they may through java.io.tmpdir.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        // A pid that cannot exist (above pid_max's limit): the owner is dead.
        Files.writeString(base.resolve("owner"), "99999999 0\n", StandardCharsets.US_ASCII);
        Ptys ptys = Ptys.detect(
                HostTools.find(java.util.Optional.empty()),
                ProcessSandboxConfig.from(SandboxConfig.defaults()),
                base,
                true);
        assertThat(ptys.bounded()).as(ptys.reason()).isTrue();
        ptys.mount(base.resolve("run-1" + Ptys.SUFFIX), -1);
        assertThat(Ptys.mountsUnder(base)).hasSize(1);

        new WorkDirs(root, "alive-" + UUID.randomUUID()).reapStale();
        assertThat(Ptys.mountsUnder(base)).isEmpty();
        assertThat(base).doesNotExist();
    }

    @Test
    void withoutBoundedTerminalsTheRunKeepsBubblewrapsDevptsAndTheInfoSaysSo() throws Exception {
        ProcessSandbox unbounded = new ProcessSandboxProvider().create(config(), false);
        try {
            assertThat(unbounded.info()).containsEntry("tty", "pty-unbounded");
            var run = start(unbounded, "stty size\n" + HOG, StdinSource.EMPTY);
            ExitStatus status = run.await();
            assertThat(status.exitCode()).as("%s", status).isZero();
            assertThat(run.sink().stdout()).startsWith("24 80\r\n");
            // Today's behaviour: nothing but the host-wide limit (and open files) stops it.
            assertThat(opened(run.sink().stdout())).isGreaterThan(MAX);
            assertThat(Ptys.mountsUnder(unbounded.workDirs().base())).isEmpty();
        } finally {
            unbounded.close();
        }
        assertThat(Leftovers.of(unbounded, true)).isEmpty();
    }

    /** Figures for the report: what the mount and unmount add to a terminal run. */
    @Test
    void boundedTerminalCost() throws Exception {
        ProcessSandbox unbounded = new ProcessSandboxProvider().create(config(), false);
        try {
            long bounded = median(sandbox);
            long plain = median(unbounded);
            System.out.printf(
                    "tty run, start() to exit() median of 21: pty-bounded %.1f ms, pty-unbounded %.1f ms%n",
                    bounded / 1000.0, plain / 1000.0);
            assertThat(bounded).isLessThan(1_000_000L);
        } finally {
            unbounded.close();
        }
    }

    private static long median(ProcessSandbox sandbox) throws Exception {
        var times = new java.util.ArrayList<Long>();
        for (int i = 0; i < 23; i++) {
            long before = System.nanoTime();
            var run = start(sandbox, "true\n", StdinSource.EMPTY);
            assertThat(run.await().exitCode()).isZero();
            if (i >= 2) {
                times.add((System.nanoTime() - before) / 1000);
            }
        }
        times.sort(null);
        return times.get(times.size() / 2);
    }

    @Test
    void aWorkRootRunUidsCannotPassThroughLeavesTerminalsUnbounded(@TempDir Path root) throws Exception {
        Path base = root.resolve("closed").resolve("base");
        Files.createDirectories(base);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(base.getParent(), PosixFilePermissions.fromString("rwx------"));
        Ptys ptys = Ptys.detect(
                HostTools.find(java.util.Optional.empty()),
                ProcessSandboxConfig.from(SandboxConfig.defaults()),
                base,
                true);
        assertThat(ptys.bounded()).isFalse();
        assertThat(ptys.describe()).isEqualTo("pty-unbounded");
        assertThat(ptys.reason()).contains(base.getParent().toString(), "o+x");
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertThat(Ptys.unescape("/tmp/a\\040b\\134c")).isEqualTo("/tmp/a b\\c");
        assertThat(Ptys.unescape("/plain")).isEqualTo("/plain");
        assertThat(Ptys.mountsUnder(Path.of("/nonexistent-" + UUID.randomUUID())))
                .isEqualTo(List.of());
    }
}
