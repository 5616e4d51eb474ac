package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static dev.ranna.sandbox.process.TestSupport.python;
import static dev.ranna.sandbox.process.TestSupport.request;
import static dev.ranna.sandbox.process.TestSupport.sh;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launcher started ahead of the next run (bubblewrap as root): it is used, it never carries anything
 * of one run into the next, a run it cannot serve starts its own, and close() ends an idle one.
 */
class ProcessSandboxPrestartTest {
    // Own run uids: Leftovers looks for run processes host-wide by uid, and other JVMs on this host may be
    // running sandboxes with the default base.
    private static final String UID_BASE = "1900000000";

    private ProcessSandbox sandbox;

    @BeforeEach
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        TestSupport.assumeRoot();
        var config = SandboxConfig.defaults()
                .with(SandboxConfig.MEMORY, "64M")
                .with(ProcessSandboxConfig.PIDS, "64")
                .with(ProcessSandboxConfig.UID_BASE, UID_BASE)
                // The prestarted launcher serves plain runs only without a pool (ProcessSandboxPoolTest).
                .with(ProcessSandboxConfig.POOL, "0");
        sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(config);
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
            assertThat(Leftovers.of(sandbox, true))
                    .as("left behind after close")
                    .isEmpty();
        }
    }

    private ProcessSandbox.Prestarted awaitPrestarted() {
        assertThat(TestSupport.poll(PROMPTLY, () -> sandbox.prestarted() != null && !sandbox.prestarting()))
                .as("a launcher is prestarted for the next run")
                .isTrue();
        return sandbox.prestarted();
    }

    @Test
    void theNextRunTakesThePrestartedLauncherAndItsCgroup() throws Exception {
        assertThat(TestSupport.sh(sandbox, "echo first\n").stdout()).isEqualTo("first\n");
        ProcessSandbox.Prestarted idle = awaitPrestarted();
        assertThat(idle.process().isAlive()).isTrue();
        var groups = idle.group().procsFiles();
        if (sandbox.cgroups().memory() || sandbox.cgroups().pids()) {
            assertThat(groups).isNotEmpty();
            // Joined before its run exists, and nothing else is in there.
            for (var procs : groups) {
                assertThat(TestSupport.poll(
                                PROMPTLY,
                                () -> Cgroups.procs(procs)
                                        .equals(java.util.List.of(idle.process().pid()))))
                        .as("%s holds only the waiting launcher", procs)
                        .isTrue();
            }
        }

        var run = TestSupport.sh(sandbox, "id -u; echo \"$1|$2\"\n", "  a b ", "x\\y");
        assertThat(run.status().exitCode())
                .as("%s %s", run.status(), run.stderr())
                .isZero();
        assertThat(run.stdout()).isEqualTo(idle.uid() + "\n  a b |x\\y\n");
        assertThat(idle.process().isAlive()).isFalse();
        for (var procs : groups) {
            // Removed right after the run's end is reported.
            assertThat(TestSupport.poll(PROMPTLY, () -> !Files.exists(procs.getParent())))
                    .as("the run's cgroup is removed")
                    .isTrue();
        }
        assertThat(sandbox.prestarted()).isNotSameAs(idle);
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void aPrestartedLauncherPassesTheRestOfItsStdinToTheProgramAndServesTerminals() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        for (boolean tty : new boolean[] {false, true}) {
            ProcessSandbox.Prestarted idle = awaitPrestarted();
            var request = dev.ranna.engine.spi.SandboxRequest.builder(
                            dev.ranna.protocol.RunId.random(), sh(), "id -u; cat\n")
                    .timeout(TIMEOUT)
                    .stdin(dev.ranna.engine.spi.StdinSource.of(
                            "input\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .tty(tty)
                    .build();
            var run = TestSupport.run(sandbox, request);
            assertThat(run.status().exitCode())
                    .as("%s %s", run.status(), run.stderr())
                    .isZero();
            // The idle launcher's uid: the run took it (a terminal run's helper is one line, so it can).
            // On a terminal the echo of the input may come before or after the uid.
            assertThat(run.stdout().split(tty ? "\r\n" : "\n"))
                    .containsExactlyInAnyOrder(
                            tty
                                    ? new String[] {"" + idle.uid(), "input", "input"}
                                    : new String[] {"" + idle.uid(), "input"});
            assertThat(idle.process().isAlive()).isFalse();
        }
        awaitPrestarted();
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void anArgumentWithALineBreakStartsALauncherOfItsOwn() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        ProcessSandbox.Prestarted idle = awaitPrestarted();
        var run = TestSupport.sh(sandbox, "printf '[%s]' \"$1\"\n", "two\nlines");
        assertThat(run.status().exitCode())
                .as("%s %s", run.status(), run.stderr())
                .isZero();
        assertThat(run.stdout()).isEqualTo("[two\nlines]");
        assertThat(idle.process().isAlive()).isFalse();
        awaitPrestarted();
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void aPrestartedLauncherKilledFromOutsideIsReplaced() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        ProcessSandbox.Prestarted idle = awaitPrestarted();
        idle.process().toHandle().destroyForcibly();
        idle.process().waitFor();
        var run = TestSupport.sh(sandbox, "echo fine\n");
        assertThat(run.stdout()).isEqualTo("fine\n");
        awaitPrestarted();
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void limitsHoldOnAPrestartedLauncherAndNothingCarriesOver() throws Exception {
        Infrastructure.require(sandbox.cgroups().memory() && sandbox.cgroups().pids(), "no memory+pids cgroups");
        TestSupport.sh(sandbox, "true\n");
        awaitPrestarted();
        String hog = "chunks = []\n"
                + "for i in range(100):\n"
                + "    chunks.append(bytearray(10 * 1024 * 1024))\n"
                + "print('ALLOCATED 1 GB')\n";
        var oom = TestSupport.run(sandbox, request(python(), hog, TIMEOUT));
        assertThat(oom.stdout()).doesNotContain("ALLOCATED");
        assertThat(oom.status().oomKilled()).as("%s", oom.status()).isTrue();

        awaitPrestarted();
        var bomb = TestSupport.run(
                sandbox,
                request(
                        sh(),
                        "b() { b | b & }\nsleep 30 &\ns=$!\n( while :; do b; done ) >/dev/null 2>&1 &\nwait $s\n",
                        Duration.ofSeconds(3)));
        // Contained either way: by the timeout, or (rarely, the bomb's kernel memory counts too) by the
        // memory limit first. ProcessSandboxSecurityTest has seen the latter with and without prestart.
        assertThat(bomb.timedOut() || bomb.status().oomKilled())
                .as("%s %s", bomb.status(), bomb.stderr())
                .isTrue();

        awaitPrestarted();
        var after = TestSupport.sh(sandbox, "echo clean; ls /proc | grep -c '^[0-9]'\n");
        ExitStatus status = after.status();
        assertThat(status.oomKilled()).isFalse();
        assertThat(status.exitCode()).isZero();
        // Only the shell, ls and grep (and bwrap's pid 1 and the exit status waiter) in the run's pid
        // namespace.
        assertThat(after.stdout()).startsWith("clean\n");
        assertThat(Integer.parseInt(after.stdout().lines().skip(1).findFirst().orElseThrow()))
                .isLessThanOrEqualTo(5);
        assertThat(Leftovers.of(sandbox, false)).isEmpty();
    }

    @Test
    void prestartOffStartsEveryLauncherOnItsRunsPath() throws Exception {
        sandbox.close();
        sandbox = (ProcessSandbox) new ProcessSandboxProvider()
                .create(SandboxConfig.defaults()
                        .with(ProcessSandboxConfig.PRESTART, "off")
                        .with(ProcessSandboxConfig.UID_BASE, UID_BASE));
        assertThat(TestSupport.sh(sandbox, "echo a\n").stdout()).isEqualTo("a\n");
        assertThat(TestSupport.sh(sandbox, "echo b\n").stdout()).isEqualTo("b\n");
        assertThat(sandbox.prestarted()).isNull();
        assertThat(sandbox.prestarting()).isFalse();
    }

    @Test
    void closeEndsTheIdleLauncher() throws Exception {
        TestSupport.sh(sandbox, "true\n");
        ProcessSandbox.Prestarted idle = awaitPrestarted();
        sandbox.close();
        assertThat(idle.process().isAlive()).isFalse();
        assertThat(sandbox.prestarted()).isNull();
    }
}
