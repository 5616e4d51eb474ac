package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.SourceFile;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.tck.Deadline;
import dev.ranna.sandbox.tck.Infrastructure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Project runs through the real sandbox with bubblewrap, as root (per-run uids, a tmpfs {@code /work} of
 * their own): extra files, the compile stage and a run's own memory limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessSandboxProjectTest {
    private static final long MIB = 1024 * 1024;

    /** The default 100M for programs and 512M for compilers, /work 4 MiB. */
    private ProcessSandbox sandbox;

    @BeforeAll
    void create() throws Exception {
        TestSupport.assumeBubblewrap();
        TestSupport.assumeRoot();
        var config = SandboxConfig.defaults().with(ProcessSandboxConfig.WORK_SIZE, "4M");
        sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(config);
    }

    @AfterAll
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @AfterEach
    void nothingLeft() throws Exception {
        // This JVM's descendant processes, run and work directories, mounts, cgroups (the compile stage's
        // too). Not every process in the run uid range: other servers on this host lease uids there too.
        assertThat(TestSupport.poll(PROMPTLY, () -> sandbox.running() == 0)).isTrue();
        assertThat(Leftovers.of(sandbox, false))
                .filteredOn(left -> !left.startsWith("process "))
                .isEmpty();
    }

    private static LanguageSpec sh() {
        return TestSupport.sh();
    }

    private static LanguageSpec compiled(String filename, String compile, String cmd) {
        return LanguageSpec.builder("project", filename)
                .compile(compile)
                .cmd(cmd)
                .build();
    }

    /** The default C spec (default-specs.yaml). */
    private static LanguageSpec c() {
        return dev.ranna.engine.SpecRegistry.of(DefaultSpecs.all()).find("c").orElseThrow();
    }

    private TestSupport.Finished run(SandboxRequest request) throws Exception {
        return TestSupport.run(sandbox, request);
    }

    private record Staged(TestSupport.Finished finished, CollectingSink sink) {}

    private Staged runStaged(SandboxRequest request, CollectingSink sink) throws Exception {
        Execution execution = sandbox.start(request, sink);
        sink.attach(execution);
        try (Deadline deadline = Deadline.kill(execution, request.timeout().plus(request.compileTimeout()))) {
            ExitStatus status = TestSupport.await(
                    execution, request.timeout().plus(request.compileTimeout()).plus(PROMPTLY));
            return new Staged(new TestSupport.Finished(status, sink.stdout(), sink.stderr(), deadline.fired()), sink);
        }
    }

    @Test
    void declaresFilesCompileAndLimits() {
        assertThat(sandbox.capabilities()).contains(Capability.FILES, Capability.COMPILE);
        assertThat(sandbox.capabilities().contains(Capability.LIMITS))
                .isEqualTo(sandbox.cgroups().memory());
        assertThat(sandbox.info()).containsEntry("projects", "tmpfs /work 4M shared by compile and run");
    }

    @Test
    void filesArriveInSubdirectoriesOwnedByTheRunsUser() throws Exception {
        var request = SandboxRequest.builder(
                        RunId.random(),
                        sh(),
                        "id -u; stat -c '%u %g %a %F' a a/b a/b/c.txt top.txt main.sh; cat a/b/c.txt top.txt\n")
                .files(List.of(SourceFile.of("a/b/c.txt", "deep\n"), SourceFile.of("top.txt", "top\n")))
                .timeout(TIMEOUT)
                .build();
        var run = run(request);
        assertThat(run.status().exitCode()).as(run.stderr()).isZero();
        List<String> lines = run.stdout().lines().toList();
        String uid = lines.get(0);
        assertThat(uid).isNotEqualTo("0");
        // Inside the run's user namespace the run's uid is itself; nothing is root's.
        assertThat(lines.subList(1, 6))
                .containsExactly(
                        uid + " " + uid + " 755 directory",
                        uid + " " + uid + " 755 directory",
                        uid + " " + uid + " 644 regular file",
                        uid + " " + uid + " 644 regular file",
                        uid + " " + uid + " 644 regular file");
        assertThat(lines.subList(6, 8)).containsExactly("deep", "top");
    }

    @Test
    void pythonImportsAModuleFromASubdirectory() throws Exception {
        var request = SandboxRequest.builder(
                        RunId.random(), TestSupport.python(), "from lib import helper\nprint(helper.greet('ranna'))\n")
                .files(List.of(
                        SourceFile.of("lib/__init__.py", ""),
                        SourceFile.of("lib/helper.py", "def greet(name):\n    return 'hello ' + name\n")))
                .timeout(TIMEOUT)
                .build();
        var run = run(request);
        assertThat(run.stderr()).isEmpty();
        assertThat(run.stdout()).isEqualTo("hello ranna\n");
    }

    @Test
    void nonAsciiNamesArriveOnAUtf8ServerAndAreRefusedClearlyElsewhere() throws Exception {
        var request = SandboxRequest.builder(RunId.random(), sh(), "cat 'dïr/ünïcode €.txt'\n")
                .files(List.of(SourceFile.of("dïr/ünïcode €.txt", "ok\n")))
                .timeout(TIMEOUT)
                .build();
        if ("UTF-8".equals(System.getProperty("sun.jnu.encoding"))) {
            var run = run(request);
            assertThat(run.stderr()).isEmpty();
            assertThat(run.stdout()).isEqualTo("ok\n");
        } else {
            // A JVM started without a UTF-8 locale (LANG=C) cannot name such a file at all.
            assertThatThrownBy(() -> sandbox.start(request, CollectingSink.create()))
                    .isInstanceOfSatisfying(
                            SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                    .hasMessageStartingWith("files[0].name: 'dïr/ünïcode €.txt' cannot be written by this server")
                    .hasMessageEndingWith("(start it with LANG=C.UTF-8)");
        }
    }

    @Test
    void binaryFilesArriveByteForByte() throws Exception {
        byte[] all = new byte[256 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        var request = SandboxRequest.builder(RunId.random(), sh(), "od -An -tx1 -v bin/data | tr -d ' \\n'\n")
                .files(List.of(new SourceFile("bin/data", all)))
                .timeout(TIMEOUT)
                .build();
        var run = run(request);
        assertThat(run.stdout()).isEqualTo(HexFormat.of().formatHex(all));
    }

    @Test
    void clashingNamesAreRefusedNamingTheEntry() {
        var fileThenDirectory = SandboxRequest.builder(RunId.random(), sh(), "true\n")
                .files(List.of(SourceFile.of("a", "x"), SourceFile.of("a/b", "y")))
                .build();
        assertThatThrownBy(() -> sandbox.start(fileThenDirectory, CollectingSink.create()))
                .isInstanceOfSatisfying(
                        SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessage("files[1].name: 'a' is a file, not a directory");
        var mainFile = SandboxRequest.builder(RunId.random(), sh(), "true\n")
                .files(List.of(SourceFile.of("main.sh", "echo other")))
                .build();
        assertThatThrownBy(() -> sandbox.start(mainFile, CollectingSink.create()))
                .isInstanceOfSatisfying(
                        SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessage("files[0].name: 'main.sh' already exists");
    }

    @Test
    void filesLargerThanTheWorkDirectoryAreRefused() {
        var request = SandboxRequest.builder(RunId.random(), sh(), "true\n")
                .files(List.of(new SourceFile("big", new byte[(int) (5 * MIB)])))
                .build();
        assertThatThrownBy(() -> sandbox.start(request, CollectingSink.create()))
                .isInstanceOfSatisfying(
                        SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE))
                .hasMessageContaining("do not fit the work directory");
    }

    @Test
    void filesThatFillTheWorkDirectoryPageByPageAreRefusedAndLeaveNothing() {
        // 4.1 MB of bytes passes the byte count (4 MiB), but each 4100-byte file takes two pages: the
        // tmpfs runs out of space while the files are written.
        var files = new ArrayList<SourceFile>();
        for (int i = 0; i < 1000; i++) {
            files.add(new SourceFile("d" + (i % 10) + "/f" + i, new byte[4100]));
        }
        var request = SandboxRequest.builder(RunId.random(), sh(), "true\n")
                .files(files)
                .build();
        assertThatThrownBy(() -> sandbox.start(request, CollectingSink.create()))
                .isInstanceOfSatisfying(
                        SandboxException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE))
                .hasMessage("files: the code and files do not fit the work directory");
    }

    @Test
    void whatARunPlantsNeverReachesTheNextRunsFiles() throws Exception {
        // The first run plants a link, a file and a directory where the next run's files go, in /work and
        // in /tmp, and tries the host's run directories through /proc.
        String plant = "ln -s /etc sub; ln -s /etc/passwd planted.txt; mkdir -p deep/x; ln -s / deep/x/y;"
                + " ln -s /etc /tmp/sub; echo planted > /tmp/planted.txt; echo ok\n";
        for (int i = 0; i < 3; i++) {
            var planting = SandboxRequest.builder(RunId.random(), sh(), plant)
                    .files(List.of(SourceFile.of("seed.txt", "seed")))
                    .timeout(TIMEOUT)
                    .build();
            assertThat(run(planting).stdout()).isEqualTo("ok\n");
        }
        String passwd = Files.readString(Path.of("/etc/passwd"));
        var next = SandboxRequest.builder(
                        RunId.random(),
                        sh(),
                        "for f in sub/a.txt planted.txt deep/x/y/z.txt; do"
                                + " [ -L \"$f\" ] && echo \"link $f\"; cat \"$f\"; done;"
                                + " [ -L sub ] || [ -L deep/x/y ] && echo link; ls -A /work | tr '\\n' ' '\n")
                .files(List.of(
                        SourceFile.of("sub/a.txt", "A\n"),
                        SourceFile.of("planted.txt", "P\n"),
                        SourceFile.of("deep/x/y/z.txt", "Z\n")))
                .timeout(TIMEOUT)
                .build();
        var run = run(next);
        assertThat(run.stdout()).isEqualTo("A\nP\nZ\ndeep main.sh planted.txt sub ");
        assertThat(Files.readString(Path.of("/etc/passwd"))).isEqualTo(passwd);
        assertThat(Files.exists(Path.of("/etc/a.txt"))).isFalse();
    }

    @Test
    void aMultiFileCProgramCompilesThenRuns() throws Exception {
        Infrastructure.require(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed");
        var request = SandboxRequest.builder(
                        RunId.random(),
                        c(),
                        "#include <stdio.h>\n#include \"util.h\"\n"
                                + "int main(int argc, char **argv) { printf(\"%d %s\\n\", twice(21), argc > 1 ? argv[1] : \"-\");"
                                + " return 0; }\n")
                .files(List.of(
                        SourceFile.of("util.h", "int twice(int x);\n"),
                        SourceFile.of("util.c", "#include \"util.h\"\nint twice(int x) { return 2 * x; }\n")))
                .arguments(List.of("a b"))
                .timeout(TIMEOUT)
                .build();
        var staged = runStaged(request, CollectingSink.create());
        assertThat(staged.finished().status().exitCode())
                .as(staged.finished().stderr())
                .isZero();
        assertThat(staged.finished().stdout()).isEqualTo("42 a b\n");
        ExitStatus compile = staged.sink().compiled();
        assertThat(compile).isNotNull();
        assertThat(compile.exitCode()).isZero();
        assertThat(compile.elapsed()).isPositive();
        assertThat(staged.sink().compiledCalls()).isEqualTo(1);
        assertThat(staged.sink().stdoutAtCompiled()).isEmpty();
    }

    @Test
    void javaCompilesWithJavacThenRunsWithAPackageInASubdirectory() throws Exception {
        Infrastructure.require(Files.isExecutable(Path.of("/usr/bin/javac")), "javac is not installed");
        // The default java spec (default-specs.yaml), under the default memory limits.
        var spec = dev.ranna.engine.SpecRegistry.of(DefaultSpecs.all())
                .find("java")
                .orElseThrow();
        var request = SandboxRequest.builder(
                        RunId.random(),
                        spec,
                        "import util.Helper;\npublic class Main {\n    public static void main(String[] args) {\n"
                                + "        System.out.println(Helper.greet(args[0]));\n    }\n}\n")
                .files(List.of(SourceFile.of(
                        "util/Helper.java",
                        "package util;\npublic class Helper {\n    public static String greet(String name) {"
                                + " return \"hello \" + name; }\n}\n")))
                .arguments(List.of("ranna"))
                .timeout(TIMEOUT)
                .build();
        var staged = runStaged(request, CollectingSink.create());
        assertThat(staged.finished().status().exitCode())
                .as(staged.finished().stderr())
                .isZero();
        assertThat(staged.sink().compiled()).isNotNull();
        assertThat(staged.finished().stdout()).isEqualTo("hello ranna\n");
    }

    @Test
    void compileOutputComesBeforeCompiledAndTheProgramsAfter() throws Exception {
        var spec = compiled(
                "main.sh", "/bin/sh -c \"echo compiling; echo warning >&2; cp main.sh built.sh\"", "/bin/sh built.sh");
        var request = SandboxRequest.builder(RunId.random(), spec, "echo running; echo oops >&2\n")
                .timeout(TIMEOUT)
                .build();
        var staged = runStaged(request, CollectingSink.create());
        assertThat(staged.finished().status().exitCode()).isZero();
        assertThat(staged.sink().stdoutAtCompiled()).isEqualTo("compiling\n");
        assertThat(staged.sink().stderrAtCompiled()).isEqualTo("warning\n");
        assertThat(staged.finished().stdout()).isEqualTo("compiling\nrunning\n");
        assertThat(staged.finished().stderr()).isEqualTo("warning\noops\n");
    }

    @Test
    void aFailedCompileEndsTheRunWithTheCompilersStatus() throws Exception {
        Infrastructure.require(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed");
        var spec = compiled("main.c", "/bin/sh -c \"exec /usr/bin/gcc -O1 -o main ./*.c\"", "/bin/echo ran");
        var request = SandboxRequest.builder(RunId.random(), spec, "int main( {\n")
                .timeout(TIMEOUT)
                .build();
        var staged = runStaged(request, CollectingSink.create());
        assertThat(staged.finished().status().exitCode()).isEqualTo(1);
        assertThat(staged.finished().stderr()).contains("error");
        assertThat(staged.finished().stdout()).doesNotContain("ran");
        assertThat(staged.sink().compiledCalls()).isZero();
    }

    @Test
    void aCompilerKilledBySignalIsReportedSo() throws Exception {
        var spec = compiled("main.sh", "/bin/sh -c \"kill -SEGV $$\"", "/bin/echo ran");
        var staged = runStaged(
                SandboxRequest.builder(RunId.random(), spec, "")
                        .timeout(TIMEOUT)
                        .build(),
                CollectingSink.create());
        assertThat(staged.finished().status().signal()).isEqualTo("SIGSEGV");
        assertThat(staged.finished().stdout()).isEmpty();
        assertThat(staged.sink().compiledCalls()).isZero();
    }

    @Test
    void aCompileKilledAtItsDeadlineNeverStartsTheProgram() throws Exception {
        var spec = compiled("main.sh", "/bin/sh -c \"echo compiling; exec sleep 60\"", "/bin/echo ran");
        var request = SandboxRequest.builder(RunId.random(), spec, "")
                .timeout(TIMEOUT)
                .compileTimeout(Duration.ofMillis(500))
                .build();
        var sink = CollectingSink.create();
        Execution execution = sandbox.start(request, sink);
        sink.attach(execution);
        long started = System.nanoTime();
        // The engine's part: the compile deadline, here the TCK's Deadline.
        try (Deadline deadline = Deadline.kill(execution, request.compileTimeout())) {
            ExitStatus status = TestSupport.await(execution, PROMPTLY);
            assertThat(deadline.fired()).isTrue();
            assertThat(status.killedBySigkill()).isTrue();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
        assertThat(sink.stdout()).isEqualTo("compiling\n");
        assertThat(sink.compiledCalls()).isZero();
    }

    @Test
    void aKillBetweenTheCompilersExitAndTheProgramsStartWins() throws Exception {
        var spec = compiled("main.sh", "/bin/true", "/bin/sh -c \"echo ran; sleep 60\"");
        var sink = CollectingSink.create().killingOnCompiled();
        var request = SandboxRequest.builder(RunId.random(), spec, "")
                .timeout(TIMEOUT)
                .build();
        Execution execution = sandbox.start(request, sink);
        sink.attach(execution);
        ExitStatus status = TestSupport.await(execution, PROMPTLY);
        assertThat(sink.compiledCalls()).isEqualTo(1);
        assertThat(status.killedBySigkill()).isTrue();
        assertThat(sink.stdout()).isEmpty();
    }

    @Test
    void aSignalDuringTheCompileStageReachesTheCompiler() throws Exception {
        var spec = compiled(
                "main.sh",
                "/bin/sh -c \"trap 'echo got INT; exit 3' INT; echo ready; while :; do sleep 0.05; done\"",
                "/bin/echo ran");
        var sink = CollectingSink.create();
        Execution execution = sandbox.start(
                SandboxRequest.builder(RunId.random(), spec, "")
                        .timeout(TIMEOUT)
                        .build(),
                sink);
        sink.attach(execution);
        assertThat(sink.awaitFirstWrite(10)).isTrue();
        execution.signal(dev.ranna.protocol.ProgramSignal.SIGINT);
        ExitStatus status = TestSupport.await(execution, PROMPTLY);
        assertThat(status.exitCode()).isEqualTo(3);
        assertThat(sink.stdout()).isEqualTo("ready\ngot INT\n");
        assertThat(sink.compiledCalls()).isZero();
    }

    @Test
    void thePrestartedLauncherServesTheRunStageAndBothStagesShareItsUid() throws Exception {
        // A launcher is prestarted after each run's start.
        TestSupport.sh(sandbox, "true\n");
        assertThat(TestSupport.poll(PROMPTLY, () -> sandbox.prestarted() != null))
                .isTrue();
        int prestartedUid =
                java.util.Objects.requireNonNull(sandbox.prestarted()).uid();
        var spec = compiled("main.sh", "/bin/sh -c \"id -u > compiler-uid\"", "/bin/sh -c \"cat compiler-uid; id -u\"");
        var run = run(SandboxRequest.builder(RunId.random(), spec, "")
                .timeout(TIMEOUT)
                .build());
        // Inside the user namespace the uid maps to itself.
        assertThat(run.stdout()).isEqualTo(prestartedUid + "\n" + prestartedUid + "\n");
    }

    @Test
    void theCompilerReadsNoInputAndTheProgramGetsAllOfIt() throws Exception {
        var spec = compiled("main.sh", "/bin/sh -c \"cat > compiler-input\"", "/bin/sh main.sh");
        var request = SandboxRequest.builder(
                        RunId.random(), spec, "printf 'compiler: %s\\n' \"$(cat compiler-input)\"; cat\n")
                .stdin(dev.ranna.engine.spi.StdinSource.of("for the program\n".getBytes(StandardCharsets.UTF_8)))
                .timeout(TIMEOUT)
                .build();
        var staged = runStaged(request, CollectingSink.create());
        assertThat(staged.finished().stdout()).isEqualTo("compiler: \nfor the program\n");
    }

    @Test
    void aCompileStageHasItsOwnMemoryAboveTheRunsLimit() throws Exception {
        Infrastructure.require(sandbox.cgroups().memory(), "needs a memory cgroup");
        // 96 MiB is fine for the compiler (512M), three times what this run's program may have (32 MiB).
        String allocate = "/usr/bin/python3 -c \"b = bytearray(96 * 1024 * 1024); print(len(b) >> 20)\"";
        var spec = compiled("main.sh", allocate, allocate);
        var staged = runStaged(
                SandboxRequest.builder(RunId.random(), spec, "")
                        .memoryLimit(32 * MIB)
                        .timeout(TIMEOUT)
                        .build(),
                CollectingSink.create());
        assertThat(staged.sink().compiled()).isNotNull();
        assertThat(staged.sink().stdoutAtCompiled()).isEqualTo("96\n");
        assertThat(staged.finished().status().oomKilled()).isTrue();
        assertThat(staged.finished().stdout()).isEqualTo("96\n");
    }

    @Test
    void aRunsOwnMemoryLimitIsBelowTheServersAndEndsInOomKilled() throws Exception {
        Infrastructure.require(sandbox.cgroups().memory(), "needs a memory cgroup");
        String program = "b = bytearray(48 * 1024 * 1024)\nprint('allocated')\n";
        var fits = run(SandboxRequest.builder(RunId.random(), TestSupport.python(), program)
                .timeout(TIMEOUT)
                .build());
        assertThat(fits.stdout()).isEqualTo("allocated\n");
        for (int i = 0; i < 2; i++) {
            // Twice: one run through the prestarted launcher's group, lowered; one through a group of its own.
            var limited = run(SandboxRequest.builder(RunId.random(), TestSupport.python(), program)
                    .memoryLimit(32 * MIB)
                    .timeout(TIMEOUT)
                    .build());
            assertThat(limited.status().oomKilled()).isTrue();
            assertThat(limited.stdout()).isEmpty();
        }
        // A limit above the server's changes nothing.
        var above = run(SandboxRequest.builder(RunId.random(), TestSupport.python(), program)
                .memoryLimit(1024 * MIB)
                .timeout(TIMEOUT)
                .build());
        assertThat(above.stdout()).isEqualTo("allocated\n");
    }

    @Test
    void theProgramCannotBeSwappedForAFifoOrLinkBetweenTheStages() throws Exception {
        // A hostile compiler replaces the code file: the run stage's root launcher must neither block on a
        // FIFO nor read through a link (it opens no file of /work at all).
        var spec = compiled(
                "main.sh",
                "/bin/sh -c \"rm main.sh && mkfifo main.sh && ln -s /etc/shadow shadow\"",
                "/bin/sh -c \"echo ran; cat shadow <&4\"");
        var request = SandboxRequest.builder(RunId.random(), spec, "echo hi\n")
                .timeout(TIMEOUT)
                .build();
        var staged = runStaged(request, CollectingSink.create());
        assertThat(staged.finished().timedOut()).isFalse();
        assertThat(staged.finished().stdout()).isEqualTo("ran\n");
        assertThat(staged.finished().stderr()).doesNotContain("root:");
    }

    @Test
    void withoutMountsAProjectRunsInAHostDirectoryBoundAsWork() throws Exception {
        Infrastructure.require(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed");
        ProcessSandbox unmounted = new ProcessSandboxProvider().create(SandboxConfig.defaults(), false);
        try {
            assertThat(unmounted.info()).containsEntry("projects", "host directory as /work (no size cap)");
            var request = SandboxRequest.builder(
                            RunId.random(),
                            c(),
                            "#include \"util.h\"\n#include <stdio.h>\nint main(void) { printf(\"%d\\n\", twice(5));"
                                    + " return 0; }\n")
                    .files(List.of(
                            SourceFile.of("util.h", "int twice(int x);\n"),
                            SourceFile.of("util.c", "int twice(int x) { return 2 * x; }\n")))
                    .timeout(TIMEOUT)
                    .build();
            var run = TestSupport.run(unmounted, request);
            assertThat(run.status().exitCode()).as(run.stderr()).isZero();
            assertThat(run.stdout()).isEqualTo("10\n");
            assertThat(TestSupport.poll(PROMPTLY, () -> unmounted.running() == 0))
                    .isTrue();
            // The class's own sandbox keeps an idle launcher too, a descendant of this JVM.
            assertThat(TestSupport.poll(PROMPTLY, () -> !sandbox.prestarting())).isTrue();
            ProcessSandbox.Prestarted idle = sandbox.prestarted();
            String other =
                    idle == null ? "-" : "descendant process " + idle.process().pid() + " ";
            assertThat(Leftovers.of(unmounted, false))
                    .filteredOn(left -> !left.startsWith("process ") && !left.startsWith(other))
                    .isEmpty();
        } finally {
            unmounted.close();
        }
    }

    @Test
    void secondLaunchCost() throws Exception {
        var plain =
                LanguageSpec.builder("plain", "main.sh").entrypoint("/bin/true").build();
        var staged = compiled("main.sh", "/bin/true", "/bin/true");
        var files = List.of(SourceFile.of("lib/a.txt", "a"));
        var plainTimes = new ArrayList<Long>();
        var filesTimes = new ArrayList<Long>();
        var stagedTimes = new ArrayList<Long>();
        for (int i = 0; i < 21; i++) {
            for (int kind = 0; kind < 3; kind++) {
                var builder = SandboxRequest.builder(RunId.random(), kind == 2 ? staged : plain, "")
                        .timeout(TIMEOUT);
                if (kind == 1) {
                    builder.files(files);
                }
                long before = System.nanoTime();
                var run = run(builder.build());
                assertThat(run.status().exitCode()).isZero();
                List.of(plainTimes, filesTimes, stagedTimes).get(kind).add((System.nanoTime() - before) / 1000);
            }
        }
        plainTimes.sort(null);
        filesTimes.sort(null);
        stagedTimes.sort(null);
        System.out.printf(
                "start() to exit() medians (21 serial runs each): plain %.1f ms, with a file (own tmpfs /work)"
                        + " %.1f ms, compile stage + run %.1f ms%n",
                plainTimes.get(10) / 1000.0, filesTimes.get(10) / 1000.0, stagedTimes.get(10) / 1000.0);
        assertThat(stagedTimes.get(10)).isLessThan(2_000_000L);
    }
}
