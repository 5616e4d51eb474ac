package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static dev.ranna.sandbox.process.TestSupport.python;
import static dev.ranna.sandbox.process.TestSupport.request;
import static dev.ranna.sandbox.process.TestSupport.sh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.sandbox.tck.Deadline;
import dev.ranna.sandbox.tck.Infrastructure;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile programs, each run through the real sandbox with bubblewrap: what they try must fail, and the
 * server and other runs must not notice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessSandboxSecurityTest {
    private static final long MIB = 1024 * 1024;

    private ProcessSandbox sandbox;

    @BeforeAll
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        var config = SandboxConfig.defaults().with(SandboxConfig.MEMORY, "64M").with(ProcessSandboxConfig.PIDS, "64");
        sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(config);
    }

    @AfterAll
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void connectingToALoopbackListenerOfTheHostIsRefused() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener.configureBlocking(false);
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            String code = "import socket\n"
                    + "for host in ('127.0.0.1', 'localhost', '::1'):\n"
                    + "    try:\n"
                    + "        socket.create_connection((host, " + port + "), timeout=3)\n"
                    + "        print('CONNECTED', host)\n"
                    + "    except OSError as e:\n"
                    + "        print('refused', host, type(e).__name__)\n"
                    + "try:\n"
                    + "    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
                    + "    print('CONNECTED outside')\n"
                    + "except OSError as e:\n"
                    + "    print('unreachable', type(e).__name__)\n";
            var run = TestSupport.run(sandbox, request(python(), code, TIMEOUT));
            assertThat(run.stdout())
                    .as(run.stderr())
                    .doesNotContain("CONNECTED")
                    .contains("refused 127.0.0.1");
            assertThat(run.stdout()).contains("unreachable");
            assertThat(listener.accept())
                    .as("a connection reached the host's listener")
                    .isNull();
        }
    }

    @Test
    void writingOutsideTheWorkDirectoryIsRefused() throws Exception {
        String marker = "ranna-escape-" + UUID.randomUUID();
        var targets = List.of(
                "/" + marker,
                "/usr/" + marker,
                "/etc/" + marker,
                "/root/" + marker,
                "/var/tmp/" + marker,
                "/dev/" + marker,
                "/proc/sys/kernel/hostname",
                sandbox.workDirs().base().resolve(marker).toString());
        var script = new StringBuilder();
        for (String target : targets) {
            script.append("if echo x > '")
                    .append(target)
                    .append("' 2>/dev/null; then echo 'WROTE ")
                    .append(target)
                    .append("'; else echo 'refused ")
                    .append(target)
                    .append("'; fi\n");
        }
        // /tmp is writable but private to the run: the host must not see the file.
        script.append("echo x > /tmp/").append(marker).append(" && echo 'private tmp ok'\n");
        script.append("echo x > /dev/shm/").append(marker).append(" && echo 'private shm ok'\n");
        script.append("head -c 20000000 /dev/zero > /dev/shm/big 2>/dev/null || echo 'shm capped'\n");
        var run = TestSupport.sh(sandbox, script.toString());
        assertThat(run.stdout()).doesNotContain("WROTE").contains("private tmp ok", "private shm ok", "shm capped");
        for (String target : targets) {
            if (!target.startsWith("/proc")) {
                assertThat(Path.of(target)).doesNotExist();
            }
        }
        assertThat(Path.of("/tmp", marker)).doesNotExist();
        assertThat(Path.of("/dev/shm", marker)).doesNotExist();
    }

    @Test
    void aRunCannotReadAnotherConcurrentRunsFiles() throws Exception {
        String secret = "secret-" + UUID.randomUUID();
        var sink = CollectingSink.create();
        Execution writer = sandbox.start(
                request(
                        sh(),
                        "echo \"$1\" > /work/secret; echo \"$1\" > /tmp/secret; echo ready; sleep 30\n",
                        TIMEOUT,
                        secret),
                sink);
        try {
            assertThat(TestSupport.poll(PROMPTLY, () -> sink.stdout().contains("ready")))
                    .isTrue();
            Path hostBase = sandbox.workDirs().base();
            String reader = "cat /work/secret /tmp/secret 2>/dev/null\n"
                    + "find / -name secret -xdev 2>/dev/null | while read f; do cat \"$f\"; done\n"
                    + "for f in /proc/[0-9]*/root/work/secret /proc/[0-9]*/root/tmp/secret /proc/[0-9]*/environ"
                    + " /proc/[0-9]*/cmdline; do cat \"$f\" 2>/dev/null; done\n"
                    + "ls -R '" + hostBase + "' 2>/dev/null\n"
                    + "ls /proc | grep -c '^[0-9]'\n"
                    + "echo end\n";
            var run = TestSupport.sh(sandbox, reader);
            assertThat(run.stdout()).endsWith("end\n").doesNotContain(secret);
            // Only the reader's own processes are visible: bwrap's init, sh, and its helpers.
            String count = run.stdout()
                    .lines()
                    .filter(l -> l.matches("\\d+"))
                    .reduce((a, b) -> b)
                    .orElse("0");
            assertThat(Integer.parseInt(count)).isLessThan(6);
            assertThat(writer.exit().toCompletableFuture()).isNotDone();
        } finally {
            writer.kill();
        }
        assertThat(TestSupport.await(writer, PROMPTLY).signal()).isEqualTo("SIGKILL");
    }

    @Test
    void noEnvironmentTheProgramCanReadCarriesTheHostRunDirectory() throws Exception {
        // Found by ranna-it's exploit suite: /proc/1/environ (bwrap, PID 1 of the sandbox) held
        // PWD=<host work root>/ranna-process-<instance>/run-N, exported by the launcher's shell.
        var run = sh(sandbox, "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < \"$f\"; done 2>/dev/null; true\n");
        assertThat(run.stdout()).as(run.stderr()).contains("HOME=/work");
        assertThat(run.stdout())
                .doesNotContain(sandbox.workDirs().base().toString())
                .doesNotContain("ranna-process-");
    }

    @Test
    void theServersEnvironmentIsAbsent() throws Exception {
        var names = new ArrayList<>(System.getenv().keySet());
        names.removeAll(List.of("PATH", "HOME", "LANG", "PWD", "TMPDIR", "SHLVL", "_"));
        Infrastructure.require(
                !names.isEmpty(),
                "the test JVM has no distinctive environment variables (the parent pom sets RANNA_TCK_SERVER_CANARY)");
        String code = "import os\n"
                + "for k in sorted(os.environ): print(k)\n"
                + "print('pid1:', open('/proc/1/environ', 'rb').read() if os.access('/proc/1/environ', os.R_OK) else b'')\n";
        var run = TestSupport.run(sandbox, request(python(), code, TIMEOUT));
        var seen = run.stdout().lines().filter(l -> !l.startsWith("pid1:")).toList();
        assertThat(seen).as(run.stderr()).containsExactlyInAnyOrder("HOME", "LANG", "PATH", "TMPDIR", "PWD");
        for (var entry : System.getenv().entrySet()) {
            if (entry.getValue().length() > 6
                    && !entry.getKey().equals("PATH")
                    && !entry.getKey().equals("LANG")) {
                assertThat(run.stdout()).as("value of %s", entry.getKey()).doesNotContain(entry.getValue());
            }
        }
    }

    @Test
    void aForkBombIsContainedByThePidsLimit() throws Exception {
        Infrastructure.require(sandbox.cgroups().pids() || HostTools.isRoot(), "no pids limit on this host");
        long before = ProcessHandle.allProcesses().count();
        var bomb = sandbox.start(
                request(
                        sh(),
                        // The bomb retries in a subshell; the main shell only waits for a sleep started
                        // first (a fork of its own that failed would end the run before the timeout).
                        "b() { b | b & }\nsleep 30 &\ns=$!\n( while :; do b; done ) >/dev/null 2>&1 &\nwait $s\n",
                        Duration.ofSeconds(4)),
                CollectingSink.create());
        Deadline deadline = Deadline.kill(bomb, Duration.ofSeconds(4));
        // While the bomb runs: the server can still start threads and processes, and another run works.
        var other = TestSupport.sh(sandbox, "echo still fine\n");
        assertThat(other.stdout()).isEqualTo("still fine\n");
        assertThat(ProcessHandle.allProcesses().count())
                .as("host processes during the bomb")
                .isLessThan(before + 64 + 16);
        var thread = CompletableFuture.supplyAsync(() -> "thread ok");
        assertThat(thread.get(5, TimeUnit.SECONDS)).isEqualTo("thread ok");
        ExitStatus status = TestSupport.await(bomb, PROMPTLY.plusSeconds(4));
        // Contained either way: held at the pids limit until the timeout, or, when the up to 128 shells
        // the limit admits outgrow the run's 64M first, killed by the memory cgroup.
        assertThat(deadline.fired() || status.oomKilled()).as("%s", status).isTrue();
        assertThat(TestSupport.poll(PROMPTLY, () -> ProcessHandle.allProcesses().count() < before + 16))
                .as("the bomb's processes are gone")
                .isTrue();
    }

    @Test
    void allocatingPastTheMemoryLimitIsKilledAndReportedAsOom() throws Exception {
        Infrastructure.require(sandbox.cgroups().memory(), "no memory cgroup on this host");
        String code = "chunks = []\n"
                + "for i in range(100):\n"
                + "    chunks.append(bytearray(10 * 1024 * 1024))\n"
                + "    print(i, flush=True)\n"
                + "print('ALLOCATED 1 GB')\n";
        var run = TestSupport.run(sandbox, request(python(), code, TIMEOUT));
        assertThat(run.stdout()).doesNotContain("ALLOCATED");
        assertThat(run.status().oomKilled()).as("%s", run.status()).isTrue();
        assertThat(run.status().signal()).isEqualTo("SIGKILL");
        assertThat(run.timedOut()).isFalse();
        // 64M limit: at most about six 10 MB chunks fit next to the interpreter.
        assertThat(run.stdout().lines().count()).isLessThan(7);
    }

    @Test
    void aCpuSpinIsKilledAtTheTimeout() throws Exception {
        var run = TestSupport.run(sandbox, request(python(), "while True: pass\n", Duration.ofSeconds(2)));
        assertThat(run.timedOut()).as("%s", run.status()).isTrue();
        assertThat(run.status().elapsed()).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(4));
    }

    @Test
    void cpuTimeIsLimitedByRlimitWhenConfiguredBelowTheTimeout() throws Exception {
        try (var strict = new ProcessSandboxProvider()
                .create(SandboxConfig.defaults().with(ProcessSandboxConfig.CPU_SECONDS, "1"))) {
            var run = TestSupport.run(strict, request(python(), "while True: pass\n", Duration.ofSeconds(20)));
            assertThat(run.timedOut()).isFalse();
            assertThat(run.status().signal()).isIn("SIGXCPU", "SIGKILL");
            assertThat(run.status().elapsed()).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void anOutputFloodIsCappedByTheSinksKill() throws Exception {
        var sink = CollectingSink.killingAfter(MIB);
        Execution execution = sandbox.start(request(sh(), "yes flood\n", TIMEOUT), sink);
        sink.attach(execution);
        ExitStatus status = TestSupport.await(execution, PROMPTLY);
        assertThat(status.signal()).isEqualTo("SIGKILL");
        assertThat(sink.totalAtKill()).isGreaterThanOrEqualTo(MIB);
        assertThat(sink.total() - sink.totalAtKill()).as("bytes after kill").isLessThan(MIB);
    }

    @Test
    void aBackgroundSetsidSleepIsKilledWhenTheRunEnds() throws Exception {
        String marker = "sleep 1000.5";
        var run = TestSupport.sh(
                sandbox,
                "setsid " + marker + " >/dev/null 2>&1 &\nnohup " + marker + " >/dev/null 2>&1 &\necho started\n");
        assertThat(run.status().exitCode()).isZero();
        assertThat(run.stdout()).isEqualTo("started\n");
        assertThat(TestSupport.processesMatching(marker)).isEmpty();
        assertThat(TestSupport.runProcesses(sandbox)).isEmpty();
    }

    @Test
    void programsCannotGainPrivilegesOrNestNamespaces() throws Exception {
        var run = TestSupport.sh(
                sandbox,
                "unshare -U true 2>/dev/null && echo NESTED-USERNS\n"
                        + "su -c true 2>/dev/null && echo SU\n"
                        + "cat /etc/shadow /etc/passwd 2>/dev/null && echo READ-ETC\n"
                        + "ls /root /home 2>/dev/null && echo LISTED\n"
                        + "echo done\n");
        assertThat(run.stdout()).isEqualTo("done\n");
    }

    @Test
    void symlinksPlantedInTheRunDirectoryAreNotFollowedOnCleanup(@TempDir Path hostDir) throws Exception {
        // Without isolation the program works in its host run directory directly: the hard case.
        TestSupport.assumeRoot();
        Path victim = Files.writeString(hostDir.resolve("victim.txt"), "keep me");
        Files.createDirectories(hostDir.resolve("victim-dir"));
        Files.writeString(hostDir.resolve("victim-dir/inner.txt"), "keep me too");
        try (var plain = new ProcessSandboxProvider()
                .create(SandboxConfig.defaults().with(ProcessSandboxConfig.ISOLATION, "none"))) {
            var run = TestSupport.sh(
                    plain,
                    "ln -s '" + victim + "' file-link\nln -s '" + hostDir.resolve("victim-dir")
                            + "' dir-link\nmkdir -p deep/er && ln -s / deep/er/root\nchmod 000 deep\n"
                            + "echo x > '" + victim + "' 2>/dev/null && echo WROTE\necho planted\n");
            assertThat(run.stdout()).isEqualTo("planted\n");
            assertThat(TestSupport.runDirectoriesLeft((ProcessSandbox) plain)).isEmpty();
        }
        assertThat(victim).hasContent("keep me");
        assertThat(hostDir.resolve("victim-dir/inner.txt")).hasContent("keep me too");
    }

    @Test
    void requestEnvironmentCannotReachTheRootHelpers() throws Exception {
        // LD_PRELOAD of a missing library makes ld.so complain in every process it applies to.
        var run = TestSupport.run(
                sandbox,
                new dev.ranna.engine.spi.SandboxRequest(
                        dev.ranna.protocol.RunId.random(),
                        sh(),
                        "echo ok\n",
                        List.of(),
                        Map.of("LD_PRELOAD", "/nonexistent/evil.so"),
                        TIMEOUT));
        assertThat(run.status().exitCode()).isZero();
        assertThat(run.stdout()).isEqualTo("ok\n");
        // Only the program itself (sh) may mention it; prlimit, setpriv and bwrap must not have seen it.
        assertThat(run.stderr().lines().filter(l -> l.contains("evil.so")))
                .allMatch(l -> !l.contains("prlimit") && !l.contains("setpriv") && !l.contains("bwrap"));
    }

    @SuppressWarnings("unused")
    private static int freePort() throws Exception {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
