package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static dev.ranna.sandbox.process.TestSupport.python;
import static dev.ranna.sandbox.process.TestSupport.sh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool of sandboxes set up ahead of plain runs ({@value ProcessSandboxConfig#POOL}): a run takes one
 * and only its own, gets exactly its code, arguments, environment and input, nothing of another run, the
 * limits of a cold run, and the pool refills off its path, survives outside kills and ends with close().
 */
class ProcessSandboxPoolTest {
    // Own run uids: Leftovers looks for run processes host-wide by uid.
    private static final String UID_BASE = "1910000000";

    private ProcessSandbox sandbox;

    @BeforeEach
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        TestSupport.assumeRoot();
        sandbox = create("2");
        Infrastructure.require(sandbox.launcherHasPerl(), "the pool needs perl on the host");
    }

    private static ProcessSandbox create(String pool) throws Exception {
        return (ProcessSandbox) new ProcessSandboxProvider()
                .create(SandboxConfig.defaults()
                        .with(SandboxConfig.MEMORY, "64M")
                        .with(ProcessSandboxConfig.PIDS, "64")
                        .with(ProcessSandboxConfig.UID_BASE, UID_BASE)
                        .with(ProcessSandboxConfig.POOL, pool));
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            List<ProcessSandbox.Warm> pooled = sandbox.pooled();
            sandbox.close();
            assertThat(pooled)
                    .allSatisfy(warm -> assertThat(warm.process().isAlive())
                            .as("close() ends a waiting sandbox")
                            .isFalse());
            assertThat(Leftovers.of(sandbox, true))
                    .as("left behind after close")
                    .isEmpty();
        }
    }

    /** The pool, once it is full and no filler is at work. */
    private List<ProcessSandbox.Warm> awaitFullPool() {
        assertThat(TestSupport.poll(PROMPTLY, () -> sandbox.pooled().size() == 2 && !sandbox.filling()))
                .as("the pool fills up to its size")
                .isTrue();
        return sandbox.pooled();
    }

    private static String uids(List<ProcessSandbox.Warm> pooled) {
        return pooled.stream().map(warm -> Integer.toString(warm.uid())).collect(Collectors.joining(","));
    }

    @Test
    void aPlainRunTakesAPooledSandboxAndThePoolRefillsOffItsPath() throws Exception {
        // The pool learns the runs' CPU limit from the first plain run, which starts cold.
        assertThat(TestSupport.sh(sandbox, "echo first\n").stdout()).isEqualTo("first\n");
        List<ProcessSandbox.Warm> pooled = awaitFullPool();
        assertThat(pooled)
                .allSatisfy(warm -> assertThat(warm.process().isAlive()).isTrue());
        var group = pooled.get(0).group().procsFiles();

        var run = TestSupport.sh(sandbox, "id -u; echo \"$1|$2|$3\"; pwd; ls -A\n", "  a b ", "x\\y", "two\nlines");
        assertThat(run.status().exitCode())
                .as("%s %s", run.status(), run.stderr())
                .isZero();
        assertThat(run.stdout()).isEqualTo(pooled.get(0).uid() + "\n  a b |x\\y|two\nlines\n/work\nmain.sh\n");
        assertThat(pooled.get(0).process().isAlive()).isFalse();
        for (var procs : group) {
            // Removed right after the run's end is reported.
            assertThat(TestSupport.poll(PROMPTLY, () -> !java.nio.file.Files.exists(procs.getParent())))
                    .as("the run's cgroup is removed")
                    .isTrue();
        }
        List<ProcessSandbox.Warm> refilled = awaitFullPool();
        assertThat(refilled).doesNotContain(pooled.get(0)).contains(pooled.get(1));
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void theProgramGetsTheRequestsEnvironmentInputAndExitStatus() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        String pooledUids = uids(awaitFullPool());
        var request = SandboxRequest.builder(
                        RunId.random(),
                        sh(),
                        "id -u; echo \"$FOO|$EMPTY|$UNI|$HOME|$PATH|$LANG\"; stat -c '%a %s' main.sh; cat; exit 3\n")
                .timeout(TIMEOUT)
                .environment(Map.of("FOO", "bar baz", "EMPTY", "", "UNI", "ü €", "PERL5OPT", "-Mstrict"))
                .stdin(StdinSource.of("input\nmore".getBytes(StandardCharsets.UTF_8)))
                .build();
        var run = TestSupport.run(sandbox, request);
        assertThat(run.status().exitCode())
                .as("%s %s", run.status(), run.stderr())
                .isEqualTo(3);
        var lines = run.stdout().split("\n", -1);
        assertThat(pooledUids).contains(lines[0]);
        assertThat(lines[1]).isEqualTo("bar baz||ü €|/work|" + Launcher.PATH + "|C.UTF-8");
        assertThat(lines[2]).isEqualTo("644 " + request.code().getBytes(StandardCharsets.UTF_8).length);
        assertThat(lines[3] + "\n" + lines[4]).isEqualTo("input\nmore");

        awaitFullPool();
        var killed = TestSupport.sh(sandbox, "kill -TERM $$\n");
        assertThat(killed.status().signal()).as("%s", killed.status()).isEqualTo("SIGTERM");
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void theCodeArrivesByteForByte() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        awaitFullPool();
        var random = new Random(15);
        var comment = new StringBuilder();
        while (comment.length() < 512 * 1024) {
            // Printable ASCII and some multi-byte characters, no newline: one long comment line.
            int c = random.nextInt(100);
            comment.append(c < 95 ? (char) (' ' + c) : c < 98 ? 'é' : "𝄞");
        }
        String code = "sha256sum main.sh | cut -d' ' -f1\nexit 0\n#" + comment + "\n";
        var run = TestSupport.sh(sandbox, code);
        assertThat(run.status().exitCode())
                .as("%s %s", run.status(), run.stderr())
                .isZero();
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8));
        assertThat(run.stdout()).isEqualTo(HexFormat.of().formatHex(digest) + "\n");
    }

    @Test
    void nothingOfOneRunReachesTheNext() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        awaitFullPool();
        var first = TestSupport.sh(
                sandbox,
                "echo planted > /work/planted; echo planted > /tmp/planted; ln -s /etc/passwd /work/link;"
                        + " (sleep 60 &) ; echo done\n");
        assertThat(first.stdout()).isEqualTo("done\n");
        awaitFullPool();
        var second = TestSupport.sh(sandbox, "ls -A /work /tmp; ls /proc | grep -c '^[0-9]'\n");
        assertThat(second.status().exitCode())
                .as("%s %s", second.status(), second.stderr())
                .isZero();
        // Its own fresh /work and /tmp, and in its pid namespace only bwrap's pid 1, the stub, sh, ls, grep.
        var lines = second.stdout().lines().toList();
        assertThat(lines.subList(0, lines.size() - 1)).containsExactly("/tmp:", "", "/work:", "main.sh");
        assertThat(Integer.parseInt(lines.get(lines.size() - 1))).isLessThanOrEqualTo(5);
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void limitsHoldInAPooledSandbox() throws Exception {
        Infrastructure.require(sandbox.cgroups().memory() && sandbox.cgroups().pids(), "no memory+pids cgroups");
        TestSupport.sh(sandbox, "true\n");
        String pooledUids = uids(awaitFullPool());
        // The run's own memory limit, below the pool's: set on the pooled sandbox's cgroup before the hand-off.
        String hog = "import os\nprint(os.getuid(), flush=True)\nchunks = []\n"
                + "for i in range(4):\n    chunks.append(bytearray(10 * 1024 * 1024))\nprint('ALLOCATED')\n";
        var small = SandboxRequest.builder(RunId.random(), python(), hog)
                .timeout(TIMEOUT)
                .memoryLimit(32L << 20)
                .build();
        var oom = TestSupport.run(sandbox, small);
        assertThat(pooledUids).contains(oom.stdout().lines().findFirst().orElseThrow());
        assertThat(oom.stdout()).doesNotContain("ALLOCATED");
        assertThat(oom.status().oomKilled()).as("%s", oom.status()).isTrue();

        awaitFullPool();
        var fine = TestSupport.run(sandbox, TestSupport.request(python(), hog, TIMEOUT));
        assertThat(fine.stdout()).as("%s %s", fine.status(), fine.stderr()).contains("ALLOCATED");

        // The pids limit is on a pooled sandbox's cgroup before any run: what holds a fork bomb in.
        ProcessSandbox.Warm waiting = awaitFullPool().get(0);
        var pidsMax = waiting.group().procsFiles().stream()
                .map(procs -> procs.resolveSibling("pids.max"))
                .filter(java.nio.file.Files::exists)
                .findFirst()
                .orElseThrow();
        assertThat(java.nio.file.Files.readString(pidsMax).trim()).isEqualTo("64");
        // The bomb takes every pid it may; the shell goes on with builtins only (a fork would fail) and ends
        // the run, which kills the bomb with it.
        var bomb = TestSupport.sh(
                sandbox,
                "b() { b | b & }\n( while :; do b; done ) >/dev/null 2>&1 &\n"
                        + "i=0\nwhile [ $i -lt 300000 ]; do i=$((i + 1)); done\necho contained\n");
        assertThat(waiting.process().isAlive())
                .as("the bomb ran in the pooled sandbox")
                .isFalse();
        assertThat(bomb.stdout().equals("contained\n") || bomb.status().oomKilled())
                .as("%s %s %s", bomb.status(), bomb.stdout(), bomb.stderr())
                .isTrue();
        awaitFullPool();
        assertThat(TestSupport.sh(sandbox, "echo clean\n").stdout()).isEqualTo("clean\n");
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void aRunWithItsOwnLowerTimeoutStartsColdAndLeavesThePoolAlone() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        List<ProcessSandbox.Warm> pooled = awaitFullPool();
        var run = TestSupport.run(sandbox, TestSupport.request(sh(), "id -u\nulimit -t\n", Duration.ofSeconds(3)));
        String uid = run.stdout().lines().findFirst().orElseThrow();
        assertThat(uids(pooled)).doesNotContain(uid);
        // Its own CPU limit, the one a cold run gets for its timeout.
        assertThat(run.stdout()).endsWith("\n3\n");
        assertThat(sandbox.pooled()).containsExactlyElementsOf(pooled);
        var normal = TestSupport.sh(sandbox, "ulimit -t\n");
        assertThat(normal.stdout()).isEqualTo(sandbox.config().cpuSecondsFor(TIMEOUT) + "\n");
        assertThat(pooled.get(0).process().isAlive()).isFalse();
    }

    @Test
    void pooledSandboxesKilledFromOutsideAreReplaced() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        for (var warm : awaitFullPool()) {
            warm.process().toHandle().destroyForcibly();
            warm.process().waitFor();
        }
        assertThat(TestSupport.sh(sandbox, "echo fine\n").stdout()).isEqualTo("fine\n");
        assertThat(awaitFullPool())
                .allSatisfy(warm -> assertThat(warm.process().isAlive()).isTrue());
        assertThat(TestSupport.sh(sandbox, "echo again\n").stdout()).isEqualTo("again\n");
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void aPoolOfZeroKeepsNoSandboxWaiting() throws Exception {
        sandbox.close();
        sandbox = create("0");
        assertThat(TestSupport.sh(sandbox, "echo a\n").stdout()).isEqualTo("a\n");
        assertThat(TestSupport.sh(sandbox, "echo b\n").stdout()).isEqualTo("b\n");
        assertThat(sandbox.pooled()).isEmpty();
        assertThat(sandbox.filling()).isFalse();
    }
}
