package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Standard input, signals and terminals, with bubblewrap and without isolation: real processes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessSandboxInteractiveTest {
    private ProcessSandbox isolated;
    private ProcessSandbox plain;

    @BeforeAll
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        // No prestarted launcher and no pool: Leftovers of the plain sandbox would count the other one's idle
        // launchers (ProcessSandboxPrestartTest and ProcessSandboxPoolTest cover stdin through them).
        isolated = (ProcessSandbox) new ProcessSandboxProvider()
                .create(SandboxConfig.defaults()
                        .with(ProcessSandboxConfig.PRESTART, "off")
                        .with(ProcessSandboxConfig.POOL, "0"));
        plain = (ProcessSandbox) new ProcessSandboxProvider()
                .create(SandboxConfig.defaults().with(ProcessSandboxConfig.ISOLATION, "none"));
    }

    @AfterAll
    void close() {
        for (ProcessSandbox sandbox : new ProcessSandbox[] {isolated, plain}) {
            if (sandbox != null) {
                sandbox.close();
                assertThat(Leftovers.of(sandbox, true)).isEmpty();
            }
        }
    }

    private ProcessSandbox sandbox(String isolation) {
        return isolation.equals("bubblewrap") ? isolated : plain;
    }

    /** A source the test feeds piece by piece, then ends. */
    static final class Feed implements StdinSource {
        private final ArrayDeque<byte[]> pieces = new ArrayDeque<>();
        private boolean ended;
        final AtomicLong taken = new AtomicLong();

        synchronized void send(String text) {
            pieces.add(text.getBytes(StandardCharsets.UTF_8));
            notifyAll();
        }

        synchronized void send(byte[] bytes) {
            pieces.add(bytes);
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        @Override
        public synchronized int read(byte[] buffer, int offset, int length) throws InterruptedException {
            while (pieces.isEmpty() && !ended) {
                wait();
            }
            if (pieces.isEmpty()) {
                return -1;
            }
            byte[] head = pieces.poll();
            int n = Math.min(length, head.length);
            System.arraycopy(head, 0, buffer, offset, n);
            if (n < head.length) {
                byte[] rest = new byte[head.length - n];
                System.arraycopy(head, n, rest, 0, rest.length);
                pieces.addFirst(rest);
            }
            taken.addAndGet(n);
            return n;
        }
    }

    record Started(RunId runId, Execution execution, CollectingSink sink) {
        ExitStatus await() throws InterruptedException {
            try {
                return TestSupport.await(execution, PROMPTLY);
            } finally {
                // A failed test leaves nothing running for the next one.
                execution.kill();
                TestSupport.await(execution, PROMPTLY);
            }
        }

        void awaitStdout(String part) {
            if (!TestSupport.poll(PROMPTLY, () -> sink.stdout().contains(part))) {
                execution.kill();
                assertThat(sink.stdout()).as("stdout").contains(part);
            }
        }
    }

    private static Started start(ProcessSandbox sandbox, String script, StdinSource stdin, boolean tty)
            throws Exception {
        RunId runId = RunId.random();
        var request = SandboxRequest.builder(runId, TestSupport.sh(), script)
                .timeout(TIMEOUT)
                .stdin(stdin)
                .tty(tty)
                .build();
        var sink = CollectingSink.create();
        Execution execution = sandbox.start(request, sink);
        sink.attach(execution);
        return new Started(runId, execution, sink);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void capabilitiesAreDeclared(String isolation) {
        assertThat(sandbox(isolation).capabilities()).contains(Capability.STDIN, Capability.SIGNALS, Capability.TTY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void initialStdinArrivesExactlyThenEof(String isolation) throws Exception {
        byte[] input = "héllo wörld ✓\n\u0001\u0002\u007f\tno newline at the end".getBytes(StandardCharsets.UTF_8);
        var run = start(sandbox(isolation), "od -An -c -v | tr -s ' \\n' ' '; echo\n", StdinSource.of(input), false);
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s %s", status, run.sink().stderr()).isZero();
        var expected = new ProcessBuilder("sh", "-c", "od -An -c -v | tr -s ' \\n' ' '; echo")
                .redirectErrorStream(true)
                .start();
        expected.getOutputStream().write(input);
        expected.getOutputStream().close();
        String want = new String(expected.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.sink().stdout()).isEqualTo(want);
        var cat = start(sandbox(isolation), "cat\n", StdinSource.of(input), false);
        assertThat(cat.await().exitCode()).isZero();
        assertThat(cat.sink().stdout().getBytes(StandardCharsets.UTF_8)).isEqualTo(input);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void noStdinIsEofAtOnce(String isolation) throws Exception {
        var run = start(sandbox(isolation), "cat; echo \"eof $?\"\n", StdinSource.EMPTY, false);
        assertThat(run.await().exitCode()).isZero();
        assertThat(run.sink().stdout()).isEqualTo("eof 0\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void interactiveLinesAreAnsweredBeforeEof(String isolation) throws Exception {
        var feed = new Feed();
        var run = start(sandbox(isolation), "while read -r line; do echo \"got $line\"; done; echo end\n", feed, false);
        feed.send("one\n");
        run.awaitStdout("got one\n");
        feed.send("two\n");
        run.awaitStdout("got two\n");
        assertThat(run.execution().exit().toCompletableFuture()).isNotDone();
        feed.end();
        assertThat(run.await().exitCode()).isZero();
        assertThat(run.sink().stdout()).isEqualTo("got one\ngot two\nend\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void childProcessesReadStdin(String isolation) throws Exception {
        var run = start(
                sandbox(isolation),
                "read -r a; echo \"$a\"; sh -c 'read -r x; echo \"child $x\"'; cat | wc -l\n",
                StdinSource.of("first\nsecond\nthird\nfourth\n".getBytes(StandardCharsets.UTF_8)),
                false);
        assertThat(run.await().exitCode()).isZero();
        assertThat(run.sink().stdout().replace(" ", "")).isEqualTo("first\nchildsecond\n2\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aProgramThatNeverReadsTwoMebibytesStaysKillableAndThePumpEnds(String isolation) throws Exception {
        var feed = new Feed();
        feed.send(new byte[2 * 1024 * 1024]);
        var run = start(sandbox(isolation), "echo ready; sleep 60\n", feed, false);
        run.awaitStdout("ready");
        // The pipe holds 64 KiB: the pump blocks in its write with the rest waiting in the source.
        assertThat(TestSupport.poll(PROMPTLY, () -> feed.taken.get() > 0)).isTrue();
        assertThat(feed.taken.get()).isLessThan(2 * 1024 * 1024);
        run.execution().kill();
        ExitStatus status = run.await();
        assertThat(status.signal()).isEqualTo("SIGKILL");
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName))
                .noneMatch(name -> name.equals("ranna-stdin-" + run.runId()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aTrappedSigintRunsTheTrap(String isolation) throws Exception {
        var run = start(
                sandbox(isolation),
                "trap 'echo caught; exit 0' INT\necho ready\nwhile :; do sleep 0.05; done\n",
                StdinSource.EMPTY,
                false);
        run.awaitStdout("ready\n");
        run.execution().signal(ProgramSignal.SIGINT);
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s", status).isZero();
        assertThat(run.sink().stdout()).isEqualTo("ready\ncaught\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void sigtermIsReportedAsTheSignalButExit143IsAnExitCode(String isolation) throws Exception {
        var run = start(sandbox(isolation), "echo ready\nexec sleep 60\n", StdinSource.EMPTY, false);
        run.awaitStdout("ready\n");
        run.execution().signal(ProgramSignal.SIGTERM);
        ExitStatus status = run.await();
        assertThat(status.signal()).as("%s", status).isEqualTo("SIGTERM");
        assertThat(status.exitCode()).isNull();

        var own = start(sandbox(isolation), "kill -TERM $$\n", StdinSource.EMPTY, false);
        assertThat(own.await().signal()).isEqualTo("SIGTERM");
        var child = start(sandbox(isolation), "sh -c 'exit 143'\n", StdinSource.EMPTY, false);
        assertThat(child.await().exitCode()).isEqualTo(143);
        var exits = start(sandbox(isolation), "exit 143\n", StdinSource.EMPTY, false);
        ExitStatus exited = exits.await();
        assertThat(exited.exitCode()).as("%s", exited).isEqualTo(143);
        assertThat(exited.signal()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void stopAndContinueThenKillAStoppedProgram(String isolation) throws Exception {
        var run = start(
                sandbox(isolation),
                "i=0; while :; do i=$((i+1)); echo \"tick $i\"; sleep 0.05; done\n",
                StdinSource.EMPTY,
                false);
        run.awaitStdout("tick 2\n");
        run.execution().signal(ProgramSignal.SIGSTOP);
        // Stopped: the output stops growing (a tick in flight may still arrive: look until 500 ms are quiet).
        boolean quiet = false;
        for (int i = 0; i < 10 && !quiet; i++) {
            int before = run.sink().stdout().length();
            quiet = !TestSupport.poll(
                    Duration.ofMillis(500), () -> run.sink().stdout().length() != before);
        }
        assertThat(quiet).as("output stopped after SIGSTOP").isTrue();
        int stoppedAt = run.sink().stdout().length();
        run.execution().signal(ProgramSignal.SIGCONT);
        assertThat(TestSupport.poll(PROMPTLY, () -> run.sink().stdout().length() > stoppedAt))
                .isTrue();
        run.execution().signal(ProgramSignal.SIGSTOP);
        run.execution().kill();
        ExitStatus status = run.await();
        assertThat(status.signal()).isEqualTo("SIGKILL");
        run.execution().signal(ProgramSignal.SIGTERM); // after exit: nothing happens
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aSignalReachesChildProcessesToo(String isolation) throws Exception {
        var run = start(
                sandbox(isolation),
                "trap 'echo parent got USR1' USR1\n"
                        + "sh -c 'trap \"echo child got USR1; exit 7\" USR1; echo ready; while :; do sleep 0.05; done'\n"
                        + "echo \"child exited $?\"\n",
                StdinSource.EMPTY,
                false);
        run.awaitStdout("ready\n");
        run.execution().signal(ProgramSignal.SIGUSR1);
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s", status).isZero();
        assertThat(run.sink().stdout()).contains("child got USR1\n", "parent got USR1\n", "child exited 7\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aTerminalRun(String isolation) throws Exception {
        var feed = new Feed();
        var run = start(
                sandbox(isolation),
                "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty\nstty size\necho err >&2\n"
                        + "printf '\\033[31mred\\033[0m\\n'\nread -r line\necho \"line=$line\"\n"
                        + "stty size\ncat\necho \"cat ended $?\"\n",
                feed,
                true);
        run.awaitStdout("red");
        feed.send("abc\n");
        run.awaitStdout("line=abc");
        run.execution().resize(100, 30);
        // The resize lands asynchronously (the loop runs stty); the program's stty size may race it, so
        // feed cat a line that asks nothing and read the size at the end from a second run instead.
        feed.send("x\n");
        feed.end();
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s %s", status, run.sink().stderr()).isZero();
        String out = run.sink().stdout();
        assertThat(out).startsWith("tty\r\n24 80\r\nerr\r\n\u001b[31mred\u001b[0m\r\n");
        assertThat(out).contains("abc\r\nline=abc\r\n");
        // The terminal echoes "x" when it arrives, which may come before or after the second stty size's
        // answer; cat's own copy comes last, right before it ends.
        assertThat(out).endsWith("x\r\ncat ended 0\r\n");
        assertThat(out.split("x\r\n", -1))
                .as("the echo and cat's copy of x in %s", out)
                .hasSize(3);
        assertThat(run.sink().stderr()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aTypedCtrlCInterruptsTheProgramAndNeverItsWaiter(String isolation) throws Exception {
        // The terminal's SIGINT goes to its foreground group: the program and the waiter that reports its
        // end. The waiter must ignore it; when it did not (a `local` undone at each loop turn), it died at
        // once, `script` stopped relaying, and the program's output after the Ctrl-C was lost.
        var feed = new Feed();
        var run = start(
                sandbox(isolation),
                "c=0; trap 'c=$((c+1)); echo \"int $c\"' INT\n"
                        + "n=0; while [ $n -lt 5 ]; do n=$((n+1)); echo tock $n; sleep 0.1; done\n"
                        + "echo \"end c=$c\"\n",
                feed,
                true);
        run.awaitStdout("tock 1");
        feed.send("\u0003");
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s %s", status, run.sink().stdout()).isZero();
        assertThat(run.sink().stdout()).contains("^Cint 1\r\n").endsWith("end c=1\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aTerminalIsResized(String isolation) throws Exception {
        var feed = new Feed();
        var run = start(sandbox(isolation), "trap 'stty size' WINCH\nstty size\nread -r x\nstty size\n", feed, true);
        run.awaitStdout("24 80\r\n");
        run.execution().resize(100, 30);
        run.awaitStdout("30 100\r\n");
        feed.send("go\n");
        feed.end();
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s", status).isZero();
        assertThat(run.sink().stdout()).endsWith("30 100\r\n");
        // The FIFO and the run's directories are gone, and so is the resize loop.
        assertThat(Leftovers.of(sandbox(isolation), false)).isEmpty();
        assertThat(TestSupport.processesMatching("0x5414")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap"}) // the public mode; without isolation the loop is the host's to see
    void aResizeFloodNeverBlocksWhenTheProgramStoppedTheResizeLoop(String isolation) throws Exception {
        // The loop runs as the program's uid, so a hostile program can stop it; nothing then reads the FIFO.
        var run = start(
                sandbox(isolation),
                "for p in /proc/[0-9]*; do grep -q 0x5414 $p/cmdline 2>/dev/null && kill -STOP ${p#/proc/} 2>/dev/null"
                        + " && echo stopped; done\nsleep 30\n",
                StdinSource.EMPTY,
                true);
        run.awaitStdout("stopped");
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int i = 0; i < 20_000; i++) {
                run.execution().resize(1000, 1000);
            }
        });
        run.execution().kill();
        assertThat(run.await().signal()).isEqualTo("SIGKILL");
        assertThat(Leftovers.of(sandbox(isolation), false)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aKilledTerminalRunLeavesNothing(String isolation) throws Exception {
        var run = start(sandbox(isolation), "echo ready; sleep 60\n", new Feed(), true);
        run.awaitStdout("ready");
        run.execution().resize(120, 40);
        run.execution().kill();
        assertThat(run.await().signal()).isEqualTo("SIGKILL");
        run.execution().resize(10, 10); // after exit: nothing happens
        assertThat(Leftovers.of(sandbox(isolation), false)).isEmpty();
        assertThat(TestSupport.processesMatching("stty cols \"$c\"")).isEmpty();
    }

    /** Figures for the report: a terminal run against a plain one, and one with stdin bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void terminalRunCost(String isolation) throws Exception {
        long plain = median(sandbox(isolation), StdinSource.EMPTY, false);
        long withInput = median(sandbox(isolation), StdinSource.of("x\n".getBytes(StandardCharsets.UTF_8)), false);
        long tty = median(sandbox(isolation), StdinSource.EMPTY, true);
        System.out.printf(
                "%s: start() to exit() median of 21: plain %.1f ms, with stdin %.1f ms, tty %.1f ms%n",
                isolation, plain / 1000.0, withInput / 1000.0, tty / 1000.0);
        assertThat(tty).isLessThan(1_000_000L);
    }

    private static long median(ProcessSandbox sandbox, StdinSource stdin, boolean tty) throws Exception {
        var times = new java.util.ArrayList<Long>();
        for (int i = 0; i < 23; i++) {
            long before = System.nanoTime();
            var run = start(sandbox, "true\n", stdin, tty);
            assertThat(run.await().exitCode()).isZero();
            if (i >= 2) {
                times.add((System.nanoTime() - before) / 1000);
            }
        }
        times.sort(null);
        return times.get(times.size() / 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "none"})
    void aTerminalRunWithoutInputReadsEofAndSigintReachesOnlyTheProgram(String isolation) throws Exception {
        var eof = start(sandbox(isolation), "cat; echo \"done $?\"\n", StdinSource.EMPTY, true);
        assertThat(eof.await().exitCode()).isZero();
        assertThat(eof.sink().stdout()).isEqualTo("done 0\r\n");

        var run = start(
                sandbox(isolation),
                "trap 'echo caught; exit 3' INT\necho ready\nwhile :; do sleep 0.05; done\n",
                new Feed(),
                true);
        run.awaitStdout("ready\r\n");
        run.execution().signal(ProgramSignal.SIGINT);
        ExitStatus status = run.await();
        assertThat(status.exitCode()).as("%s", status).isEqualTo(3);
        assertThat(run.sink().stdout()).isEqualTo("ready\r\ncaught\r\n");
        assertThat(TestSupport.processesMatching("stty cols \"$c\"")).isEmpty();
    }
}
