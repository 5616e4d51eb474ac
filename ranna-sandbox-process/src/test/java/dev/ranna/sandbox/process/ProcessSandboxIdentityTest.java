package dev.ranna.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.UidLeases;
import dev.ranna.protocol.ErrorCode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One kernel identity per run, host-wide, and no terminals: uids are leased across servers on the host
 * (a second JVM stands in for the other server), and a run cannot open {@code /dev/ptmx}.
 */
class ProcessSandboxIdentityTest {

    private static final int BASE = 2_000_100_000;

    @TempDir
    Path leaseDir;

    @BeforeEach
    void gate() {
        TestSupport.assumeBubblewrap();
        TestSupport.assumeRoot();
    }

    private ProcessSandbox sandbox(int slots, int uids, boolean prestart) throws Exception {
        return (ProcessSandbox) new ProcessSandboxProvider()
                .create(SandboxConfig.defaults()
                        .with(ProcessSandboxConfig.UID_BASE, Integer.toString(BASE))
                        .with(ProcessSandboxConfig.SLOTS, Integer.toString(slots))
                        .with(ProcessSandboxConfig.UID_COUNT, Integer.toString(uids))
                        .with(ProcessSandboxConfig.PRESTART, prestart ? "on" : "off")
                        // Pooled sandboxes hold uids too: none, where the held uids must be exact.
                        .with(ProcessSandboxConfig.POOL, prestart ? "2" : "0")
                        .with(ProcessSandboxConfig.UID_LEASE_DIR, leaseDir.toString()));
    }

    @Test
    void runsNeverTakeAUidThatAnotherServerOnTheHostHolds() throws Exception {
        Process other = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        UidLeaseHolderMain.class.getName(),
                        leaseDir.toString(),
                        Integer.toString(BASE),
                        "4",
                        "2")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        // No prestarted launcher here, so that which uids are held is exact.
        try (ProcessSandbox sandbox = sandbox(4, 4, false)) {
            var reader = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
            Set<Integer> theirs = new HashSet<>();
            theirs.add(Integer.parseInt(reader.readLine()));
            theirs.add(Integer.parseInt(reader.readLine()));
            assertThat(reader.readLine()).isEqualTo("ready");

            // Two runs at once, each reporting its uid and then waiting to be killed.
            var sinks = new ArrayList<CollectingSink>();
            var executions = new ArrayList<Execution>();
            for (int i = 0; i < 2; i++) {
                var sink = CollectingSink.create();
                var execution = sandbox.start(
                        TestSupport.request(TestSupport.sh(), "id -u\nsleep 30\n", TestSupport.TIMEOUT), sink);
                sink.attach(execution);
                sinks.add(sink);
                executions.add(execution);
            }
            assertThat(TestSupport.poll(
                            Duration.ofSeconds(10),
                            () -> sinks.stream().allMatch(s -> s.stdout().endsWith("\n"))))
                    .isTrue();
            Set<Integer> ours = new HashSet<>();
            for (CollectingSink sink : sinks) {
                ours.add(Integer.parseInt(sink.stdout().strip()));
            }
            assertThat(ours).as("two concurrent runs, two uids").hasSize(2);
            assertThat(ours).as("never one the other server holds").doesNotContainAnyElementsOf(theirs);
            assertThat(sandbox.leasedUids()).isEqualTo(ours);

            // The range is full now (2 here, 2 there): a third run is refused although this sandbox has slots.
            assertThatThrownBy(() -> sandbox.start(
                            TestSupport.request(TestSupport.sh(), "true\n", TestSupport.TIMEOUT),
                            CollectingSink.create()))
                    .isInstanceOfSatisfying(
                            SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));

            executions.forEach(Execution::kill);
            for (Execution execution : executions) {
                TestSupport.await(execution, TestSupport.PROMPTLY);
            }
            assertThat(TestSupport.poll(
                            Duration.ofSeconds(10), () -> sandbox.leasedUids().isEmpty()))
                    .as("released when the runs are gone")
                    .isTrue();
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void twoSandboxesInOneJvmNeverShareAUidEither() throws Exception {
        try (ProcessSandbox first = sandbox(2, 4, true);
                ProcessSandbox second = sandbox(2, 4, true)) {
            var uids = new ArrayList<Integer>();
            var executions = new ArrayList<Execution>();
            var sinks = new ArrayList<CollectingSink>();
            for (ProcessSandbox sandbox : List.of(first, second)) {
                var sink = CollectingSink.create();
                var execution = sandbox.start(
                        TestSupport.request(TestSupport.sh(), "id -u\nsleep 30\n", TestSupport.TIMEOUT), sink);
                sink.attach(execution);
                sinks.add(sink);
                executions.add(execution);
            }
            assertThat(TestSupport.poll(
                            Duration.ofSeconds(10),
                            () -> sinks.stream().allMatch(s -> s.stdout().endsWith("\n"))))
                    .isTrue();
            sinks.forEach(sink -> uids.add(Integer.parseInt(sink.stdout().strip())));
            // The prestarted launchers hold leases too: every uid any of them holds is distinct.
            var all = new ArrayList<Integer>(first.leasedUids());
            all.addAll(second.leasedUids());
            assertThat(all).doesNotHaveDuplicates().containsAll(uids);
            assertThat(uids).doesNotHaveDuplicates();
            executions.forEach(Execution::kill);
            for (Execution execution : executions) {
                TestSupport.await(execution, TestSupport.PROMPTLY);
            }
        }
    }

    @Test
    void aRunCannotOpenATerminal() throws Exception {
        try (ProcessSandbox sandbox = sandbox(2, 2, true)) {
            var run = TestSupport.run(
                    sandbox,
                    TestSupport.request(
                            TestSupport.python(),
                            "import os\n"
                                    + "for path in ['/dev/ptmx', '/dev/pts/ptmx']:\n"
                                    + "    try:\n"
                                    + "        os.close(os.open(path, os.O_RDWR | os.O_NOCTTY))\n"
                                    + "        print('opened', path)\n"
                                    + "    except OSError as e:\n"
                                    + "        print('refused', path)\n"
                                    + "try:\n"
                                    + "    os.openpty()\n"
                                    + "    print('openpty worked')\n"
                                    + "except OSError:\n"
                                    + "    print('no openpty')\n"
                                    + "for dev in ['null', 'zero', 'full', 'random', 'urandom']:\n"
                                    + "    os.close(os.open('/dev/' + dev, os.O_RDWR))\n"
                                    + "print(sorted(os.listdir('/dev')))\n"
                                    + "print(os.readlink('/dev/fd'), len(os.listdir('/dev/fd')) > 0)\n",
                            TestSupport.TIMEOUT));
            assertThat(run.status().exitCode()).as("%s", run.stderr()).isZero();
            assertThat(run.stdout())
                    .isEqualTo("refused /dev/ptmx\nrefused /dev/pts/ptmx\nno openpty\n"
                            + "['core', 'fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty',"
                            + " 'urandom', 'zero']\n"
                            + "/proc/self/fd True\n");
        }
    }

    @Test
    void theLeaseDirectoryMustBeUsable() throws Exception {
        Path open = Files.createDirectory(leaseDir.resolve("open"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> new ProcessSandboxProvider()
                        .create(SandboxConfig.defaults().with(UidLeases.DIRECTORY, open.toString())))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining(UidLeases.DIRECTORY);
    }
}
