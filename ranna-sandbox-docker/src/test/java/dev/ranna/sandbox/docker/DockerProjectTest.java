package dev.ranna.sandbox.docker;

import static dev.ranna.sandbox.docker.DockerTestSupport.SH;
import static dev.ranna.sandbox.docker.DockerTestSupport.TOOLCHAIN;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeDocker;
import static dev.ranna.sandbox.docker.DockerTestSupport.assumeToolchain;
import static dev.ranna.sandbox.docker.DockerTestSupport.await;
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
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.RunId;
import dev.ranna.sandbox.docker.DockerTestSupport.RecordingSink;
import dev.ranna.sandbox.docker.DockerTestSupport.StagedSink;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Projects against the real engine (runc; {@link RunscProjectTest} repeats them on gVisor): files delivered
 * over stdin with literal odd names, the compile stage and its boundary, and memory limits per run and per
 * stage. The warm pool is on, so most runs take pooled containers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerProjectTest {

    /** C over several files on the toolchain image: compile, then run. */
    static final LanguageSpec C = LanguageSpec.builder("c", "main.c")
            .image(TOOLCHAIN)
            .compile("gcc -O1 -Wall -o main main.c util.c")
            .cmd("./main")
            .language("c")
            .build();

    /** A shell "compile stage" on busybox, to script what a compiler does. */
    static LanguageSpec shCompiling(String compileScript) {
        return SH.toBuilder().compile(List.of("/bin/sh", "-c", compileScript)).build();
    }

    /** A shell string of 32 MiB, built by doubling: the shell peaks at about three times that. */
    static final String THIRTY_TWO_MEGABYTES =
            "x=0123456789abcdef; i=0; while [ $i -lt 21 ]; do x=\"$x$x\"; i=$((i+1)); done; echo ${#x}";

    private DockerSandbox sandbox;
    private SandboxConfig config;

    /** The sandbox's config: runs get 256M, compiles 512M (the default). */
    protected SandboxConfig config() {
        return DockerTestSupport.config(DockerSandboxConfig.POOL_SIZE, "2", SandboxConfig.MEMORY, "256M");
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

    private static SandboxRequest.Builder request(LanguageSpec spec, String code) {
        return SandboxRequest.builder(RunId.random(), spec, code).timeout(Duration.ofSeconds(30));
    }

    private static ExitStatus exit(Execution run) throws Exception {
        return run.exit().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    @Test
    void declaresFilesCompileAndLimits() {
        assertThat(sandbox.capabilities()).contains(Capability.FILES, Capability.COMPILE, Capability.LIMITS);
        // the tests run as root beside the daemon: limits are set in the container's cgroup
        assertThat(sandbox.info()).containsEntry("memory.per.run", "cgroup");
    }

    @Test
    void filesWithOddNamesAreWrittenLiterallyInTheirDirectoriesOwnedByTheRun() throws Exception {
        var binary = new byte[70_000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31 + (i >> 8));
        }
        var files = List.of(
                SourceFile.of("-rf", "dash\n"),
                SourceFile.of("$(touch pwned)", "dollar\n"),
                SourceFile.of("a b/it's \"q\".txt", "quotes\n"),
                SourceFile.of("dir/new\nline", "newline\n"),
                SourceFile.of("ü/ß😀.txt", "unicode\n"),
                SourceFile.of("...", "dots\n"),
                SourceFile.of("..a/b..", "dotted\n"),
                SourceFile.of("deep/er/still/empty", ""),
                new SourceFile("deep/er/blob.bin", binary),
                SourceFile.of("*", "star\n"));
        var code = new StringBuilder("set -e\n");
        var expected = new StringBuilder();
        for (SourceFile file : files) {
            String path = Boot.quote("./" + file.name());
            code.append("[ -f ")
                    .append(path)
                    .append(" ] && [ ! -L ")
                    .append(path)
                    .append(" ]\n");
            code.append("[ \"$(stat -c %u ").append(path).append(")\" = \"$(id -u)\" ]\n");
            code.append("md5sum < ").append(path).append('\n');
            expected.append(md5(file.content())).append("  -\n");
        }
        code.append("[ ! -e pwned ] && [ ! -e /work/pwned ] && echo clean\n");
        code.append("ls -A | wc -l\n");
        var sink = new RecordingSink();
        ExitStatus status =
                exit(sandbox.start(request(SH, code.toString()).files(files).build(), sink));
        assertThat(status.exitCode()).as("stderr: %s", sink.stderr()).isZero();
        // ten files in nine top-level entries, plus main.sh
        assertThat(sink.stdout()).isEqualTo(expected + "clean\n10\n");
    }

    @Test
    void namesThatWouldLeaveTheWorkDirectoryCannotEvenBeMade() {
        for (String name : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "./x", "a\\b", "x/.")) {
            assertThatThrownBy(() -> SourceFile.of(name, "x")).as(name).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aFileOverTheCodeOrAnotherFileIsRefused() {
        for (List<SourceFile> files : List.of(
                List.of(SourceFile.of("main.sh", "x")),
                List.of(SourceFile.of("main.sh/x", "x")),
                List.of(SourceFile.of("a", "x"), SourceFile.of("a/b", "y")),
                List.of(SourceFile.of("a/b", "x"), SourceFile.of("a", "y")),
                List.of(SourceFile.of("a", "x"), SourceFile.of("a", "y")))) {
            assertThatThrownBy(
                            () -> sandbox.start(request(SH, "true").files(files).build(), new RecordingSink()))
                    .as("%s", files)
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("files[");
        }
    }

    @Test
    void whatOneRunPlantsNeverMeetsTheNextRunsFiles() throws Exception {
        var first = new RecordingSink();
        ExitStatus planted = exit(sandbox.start(
                request(
                                SH,
                                "ln -s /etc/passwd evil && mkdir -p /tmp/t && ln -s /tmp/t d && ln -s /tmp/t /tmp/d"
                                        + " && ls -l evil d | wc -l")
                        .build(),
                first));
        assertThat(planted.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isEqualTo("2\n");
        var second = new RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request(SH, "[ ! -L evil ] && [ ! -L d ] && [ ! -e /tmp/d ] && cat evil d/f && ls -A /tmp | wc -l")
                        .files(List.of(SourceFile.of("evil", "mine\n"), SourceFile.of("d/f", "also mine\n")))
                        .build(),
                second));
        assertThat(status.exitCode()).as(second.stderr()).isZero();
        assertThat(second.stdout()).isEqualTo("mine\nalso mine\n0\n");
    }

    @Test
    void filesWorkWithInputAndOnATerminal() throws Exception {
        var files = List.of(SourceFile.of("lib/x.txt", "from a file\n"));
        var piped = new RecordingSink();
        ExitStatus status = exit(sandbox.start(
                request(SH, "cat lib/x.txt; cat")
                        .files(files)
                        .stdin(StdinSource.of("from stdin\n".getBytes(StandardCharsets.UTF_8)))
                        .build(),
                piped));
        assertThat(status.exitCode()).isZero();
        assertThat(piped.stdout()).isEqualTo("from a file\nfrom stdin\n");
        var tty = new RecordingSink();
        status = exit(sandbox.start(
                request(SH, "cat lib/x.txt; [ -t 0 ] && echo tty")
                        .files(files)
                        .tty(true)
                        .build(),
                tty));
        assertThat(status.exitCode()).isZero();
        assertThat(tty.stdout()).isEqualTo("from a file\r\ntty\r\n");
    }

    @Test
    void cOverThreeFilesCompilesThenRunsWithTheBoundaryBetweenTheStages() throws Exception {
        assumeToolchain();
        var sink = new StagedSink();
        ExitStatus status = exit(sandbox.start(
                request(
                                C,
                                "#include <stdio.h>\n#include \"util.h\"\n"
                                        + "int main(void) { printf(\"%d\\n\", twice(21)); fprintf(stderr, \"err\\n\"); return 3; }\n")
                        .files(List.of(
                                SourceFile.of("util.h", "int twice(int x);\n"),
                                SourceFile.of(
                                        "util.c",
                                        "#include \"util.h\"\n#warning from the compiler\n"
                                                + "int twice(int x) { return 2 * x; }\n")))
                        .build(),
                sink));
        assertThat(sink.compiledCalls()).isEqualTo(1);
        assertThat(sink.compiledStatus().exitCode()).isZero();
        assertThat(sink.compiledStatus().elapsed()).isPositive();
        assertThat(sink.compile().stderr()).contains("warning: #warning from the compiler");
        assertThat(sink.compile().stdout()).isEmpty();
        assertThat(sink.stdout()).isEqualTo("42\n");
        assertThat(sink.stderr()).isEqualTo("err\n");
        assertThat(status.exitCode()).isEqualTo(3);
        assertThat(status.elapsed()).isLessThan(sink.compiledStatus().elapsed().plusSeconds(5));
    }

    @Test
    void aCompileErrorEndsTheRunWithTheCompilersStatusAndNoProgram() throws Exception {
        assumeToolchain();
        var sink = new StagedSink();
        ExitStatus status = exit(sandbox.start(
                request(C, "int main(void) { return }\n")
                        .files(List.of(SourceFile.of("util.c", "int twice;\n")))
                        .build(),
                sink));
        assertThat(sink.compiledCalls()).isZero();
        assertThat(status.exitCode()).isEqualTo(1);
        assertThat(sink.compile().stderr()).contains("error");
        assertThat(sink.stdout()).isEmpty();
        assertThat(sink.stderr()).isEmpty();
    }

    @Test
    void aCompilerKilledBySignalOrExitingNonZeroGivesItsStatus() throws Exception {
        var sink = new StagedSink();
        ExitStatus status = exit(sandbox.start(
                request(shCompiling("echo compiling; kill -TERM $$"), "echo ran")
                        .build(),
                sink));
        assertThat(sink.compiledCalls()).isZero();
        assertThat(status.signal()).isEqualTo("SIGTERM");
        assertThat(sink.compile().stdout()).isEqualTo("compiling\n");
        assertThat(sink.stdout()).isEmpty();
        var failed = new StagedSink();
        status = exit(sandbox.start(
                request(shCompiling("echo nope >&2; exit 7"), "echo ran").build(), failed));
        assertThat(status.exitCode()).isEqualTo(7);
        assertThat(failed.compile().stderr()).isEqualTo("nope\n");
        assertThat(failed.compiledCalls()).isZero();
        assertThat(failed.stdout() + failed.stderr()).isEmpty();
    }

    @Test
    void aSignalDuringTheCompileIsTheCompilers() throws Exception {
        // a compiler that traps SIGINT compiles on, and the program runs
        var trapped = new StagedSink();
        Execution run = sandbox.start(
                request(
                                shCompiling("trap 'echo got-int; : > done' INT; echo compiling; i=0;"
                                        + " while [ $i -lt 100 ] && [ ! -e done ]; do sleep 0.1; i=$((i+1)); done;"
                                        + " echo compiled-on"),
                                "echo ran")
                        .build(),
                trapped);
        await(
                Duration.ofSeconds(20),
                "the compile stage",
                () -> trapped.compile().stdout().contains("compiling"));
        run.signal(dev.ranna.protocol.ProgramSignal.SIGINT);
        await(
                Duration.ofSeconds(20),
                "the compiler's trap",
                () -> trapped.compile().stdout().contains("got-int"));
        ExitStatus status = exit(run);
        assertThat(trapped.compile().stdout()).isEqualTo("compiling\ngot-int\ncompiled-on\n");
        assertThat(trapped.compiledCalls()).isEqualTo(1);
        assertThat(trapped.stdout()).isEqualTo("ran\n");
        assertThat(status.exitCode()).isZero();
        // one that does not ends the run with it, and no program runs
        var plain = new StagedSink();
        run = sandbox.start(
                request(shCompiling("echo compiling; sleep 30"), "echo ran").build(), plain);
        await(
                Duration.ofSeconds(20),
                "the compile stage",
                () -> plain.compile().stdout().contains("compiling"));
        run.signal(dev.ranna.protocol.ProgramSignal.SIGINT);
        status = exit(run);
        assertThat(status.signal()).isEqualTo("SIGINT");
        assertThat(plain.compiledCalls()).isZero();
        assertThat(plain.stdout()).isEmpty();
    }

    @Test
    void killDuringTheCompileMeansNoRunStageEver() throws Exception {
        var sink = new StagedSink();
        Execution run = sandbox.start(
                request(shCompiling("echo compiling; sleep 30; echo done"), "echo ran")
                        .build(),
                sink);
        await(
                Duration.ofSeconds(20),
                "the compile stage",
                () -> sink.compile().stdout().contains("compiling"));
        long before = System.nanoTime();
        run.kill();
        ExitStatus status = exit(run);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(10));
        assertThat(status.killedBySigkill()).isTrue();
        assertThat(sink.compiledCalls()).isZero();
        assertThat(sink.compile().stdout()).isEqualTo("compiling\n");
        assertThat(sink.stdout() + sink.stderr()).isEmpty();
    }

    @Test
    void theBoundaryCannotBeForgedAndNothingTheCompileStartedOutlivesIt() throws Exception {
        // The compile prints a marker-shaped line of its own, and shows everything it can see of the
        // processes around it (argv and environment of every process, its stdin); a child it leaves
        // behind would write on into the run stage.
        String compile =
                "printf 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000\\n'; printf 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB000\\n' >&2;"
                        + " for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; tr '\\0' ' ' < $p/environ; echo; done;"
                        + " cat; (sleep 1; echo late-from-the-compile) & echo compiled";
        var sink = new StagedSink();
        var run = (DockerExecution)
                sandbox.start(request(shCompiling(compile), "sleep 2; echo ran").build(), sink);
        ExitStatus status = exit(run);
        assertThat(status.exitCode()).as(sink.stderr()).isZero();
        assertThat(sink.compiledCalls()).isEqualTo(1);
        assertThat(sink.compile().stdout())
                .startsWith("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000\n")
                .endsWith("compiled\n")
                .doesNotContain(run.marker());
        assertThat(sink.compile().stderr()).isEqualTo("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB000\n");
        assertThat(sink.stdout()).isEqualTo("ran\n");
        assertThat(sink.stderr()).isEmpty();
    }

    @Test
    void aCompileOnATerminalIsSeparatedFromTheProgramToo() throws Exception {
        var sink = new StagedSink();
        ExitStatus status = exit(sandbox.start(
                request(shCompiling("echo compiling; [ -t 1 ] && echo on-a-tty"), "stty size; cat")
                        .tty(true)
                        .stdin(StdinSource.of("typed\n".getBytes(StandardCharsets.UTF_8)))
                        .build(),
                sink));
        assertThat(sink.compiledCalls()).isEqualTo(1);
        assertThat(sink.compile().stdout()).isEqualTo("compiling\non-a-tty\n");
        // the terminal echoes the input whenever it arrives, before or after the program's first line
        assertThat(sink.stdout()).contains("24 80\r\n").contains("typed\r\n");
        assertThat(status.exitCode()).isNotNull();
    }

    @Test
    void aRunsOwnMemoryLimitEndsItAsOomKilled() throws Exception {
        String bomb = "x=0123456789abcdef; while :; do x=\"$x$x\"; done";
        var limited = new RecordingSink();
        ExitStatus status = exit(
                sandbox.start(request(SH, bomb).memoryLimit(32L * 1024 * 1024).build(), limited));
        assertThat(status.oomKilled()).isTrue();
        // a terminal run's container is started only after its attach: the limit is set then
        var terminal = new RecordingSink();
        status = exit(sandbox.start(
                request(SH, bomb).tty(true).memoryLimit(32L * 1024 * 1024).build(), terminal));
        assertThat(status.oomKilled()).as("%s %s", status, terminal.stdout()).isTrue();
        String thirtyTwoMegabytes = THIRTY_TWO_MEGABYTES;
        var fits = new RecordingSink();
        status = exit(sandbox.start(request(SH, thirtyTwoMegabytes).build(), fits));
        assertThat(status.exitCode()).as(fits.stderr()).isZero();
        assertThat(fits.stdout()).isEqualTo("33554432\n");
        var doesNot = new RecordingSink();
        status = exit(sandbox.start(
                request(SH, thirtyTwoMegabytes).memoryLimit(32L * 1024 * 1024).build(), doesNot));
        assertThat(status.oomKilled()).as("%s %s", status, doesNot.stdout()).isTrue();
        assertThat(doesNot.stdout()).isEmpty();
    }

    @Test
    void theCompileStageHasItsOwnMemoryAboveTheRuns() throws Exception {
        // 32 MiB (about 100 MB at its peak) in the compile stage fits its 512M; the same in the run stage, limited to
        // 32 MiB, does not.
        String thirtyTwoMegabytes = THIRTY_TWO_MEGABYTES;
        var sink = new StagedSink();
        ExitStatus status = exit(sandbox.start(
                request(shCompiling(thirtyTwoMegabytes), thirtyTwoMegabytes)
                        .memoryLimit(32L * 1024 * 1024)
                        .build(),
                sink));
        assertThat(sink.compile().stdout()).isEqualTo("33554432\n");
        assertThat(sink.compiledCalls()).isEqualTo(1);
        assertThat(status.oomKilled()).as("%s %s", status, sink.stdout()).isTrue();
        assertThat(sink.stdout()).isEmpty();
        // and without a limit of its own the run stage has sandbox.memory
        var roomy = new StagedSink();
        status = exit(
                sandbox.start(request(shCompiling("true"), thirtyTwoMegabytes).build(), roomy));
        assertThat(status.exitCode()).isZero();
        assertThat(roomy.stdout()).isEqualTo("33554432\n");
    }

    @Test
    void theCompileStagesMemoryLimitEndsACompileThatNeedsMore() throws Exception {
        var keys = new ArrayList<>(List.of(
                SandboxConfig.COMPILE_MEMORY, "32M", SandboxConfig.MEMORY, "256M", DockerSandboxConfig.POOL_SIZE, "0"));
        config.runtime().ifPresent(runtime -> keys.addAll(List.of(SandboxConfig.RUNTIME, runtime)));
        var smallConfig = DockerTestSupport.config(keys.toArray(String[]::new));
        var small = DockerTestSupport.create(smallConfig);
        try {
            String bomb = "x=0123456789abcdef; while :; do x=\"$x$x\"; done";
            var sink = new StagedSink();
            ExitStatus status =
                    exit(small.start(request(shCompiling(bomb), "echo ran").build(), sink));
            assertThat(sink.compiledCalls()).isZero();
            assertThat(status.oomKilled()).isTrue();
            assertThat(sink.stdout()).isEmpty();
        } finally {
            small.close();
            DockerTestSupport.assertNoContainers(smallConfig);
        }
    }

    @Test
    void usageIsTheRunStagesAfterACleanCompile() throws Exception {
        // a compile that peaks at about 100 MB, a program that uses almost nothing
        var sink = new StagedSink();
        ExitStatus status = exit(sandbox.start(
                request(shCompiling(THIRTY_TWO_MEGABYTES), "echo small").build(), sink));
        assertThat(status.exitCode()).isZero();
        if (sandbox.runtime().gvisor()) {
            // gVisor's cgroup measures the Sentry: no usage at all, rather than a wrong one
            assertThat(sandbox.capabilities()).doesNotContain(Capability.USAGE);
            assertThat(status.usage()).isNull();
            return;
        }
        assertThat(sandbox.capabilities()).contains(Capability.USAGE);
        assertThat(sink.compiledStatus().usage()).isNotNull();
        assertThat(sink.compiledStatus().usage().peakMemoryBytes()).isGreaterThan(60_000_000L);
        assertThat(status.usage()).isNotNull();
        assertThat(status.usage().peakMemoryBytes()).isLessThan(20_000_000L);
        assertThat(status.usage().cpuTime())
                .isLessThan(sink.compiledStatus().usage().cpuTime());
    }

    /** Lists for the benchmark: names and sizes of {@code count} files. */
    static List<SourceFile> manyFiles(int count, int size) {
        var files = new ArrayList<SourceFile>();
        for (int i = 0; i < count; i++) {
            files.add(new SourceFile("dir" + (i % 8) + "/file" + i + ".txt", new byte[size]));
        }
        return files;
    }
}
