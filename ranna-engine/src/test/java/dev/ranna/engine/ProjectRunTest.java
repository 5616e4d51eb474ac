package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.SourceFile;
import dev.ranna.protocol.CompileResult;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProjectFile;
import dev.ranna.protocol.RequestLimits;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Stage;
import dev.ranna.protocol.StdStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Projects: an EXEC's {@code files} and {@code limits} checked against the server, and a spec's compile
 * stage in virtual time (its own deadline, the run stage's deadline from {@code compiled()}, stages on LOG
 * and STOP), over the WebSocket session and the REST path.
 */
@Timeout(30)
class ProjectRunTest {
    static final SpecRegistry SPECS = SpecRegistry.parse("""
            sh:
              entrypoint: sh
              filename: main.sh
            c:
              compile: cc -o main main.c
              cmd: ./main
              filename: main.c
            """);

    static final Set<Capability> ALL = Set.of(Capability.FILES, Capability.COMPILE, Capability.LIMITS);

    final FakeScheduler time = new FakeScheduler();
    final ScriptedSandbox sandbox = new ScriptedSandbox();
    final RecordingEventSink sink = new RecordingEventSink();
    RannaEngine engine;

    EngineSession session(RunLimits limits) {
        return session(limits, ALL);
    }

    EngineSession session(RunLimits limits, Set<Capability> capabilities) {
        sandbox.capabilities = capabilities;
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(SPECS)
                .limits(limits)
                .scheduler(time)
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
        return engine.openSession(sink, "client");
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static RunLimits limits(Duration timeout, Duration compileTimeout) {
        return RunLimits.builder()
                .timeout(timeout)
                .compileTimeout(compileTimeout)
                .coalesceDelay(Duration.ZERO)
                .build();
    }

    static Operation.Exec exec(int nonce, String language, List<ProjectFile> files, RequestLimits limits) {
        return new Operation.Exec(
                Nonce.of(nonce), ExecutionRequest.of(language, "code").withProject(files, limits));
    }

    static Operation.Exec exec(int nonce, String language) {
        return exec(nonce, language, List.of(), RequestLimits.NONE);
    }

    private ScriptedSandbox.ScriptedExecution execution() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sandbox.executions().isEmpty()) {
            assertThat(System.nanoTime()).as("the run starts").isLessThan(deadline);
            LockSupport.parkNanos(100_000);
        }
        return sandbox.executions().get(0);
    }

    // --- files and limits: refused ----------------------------------------------------------------

    static ProjectFile file(String name) {
        return ProjectFile.utf8(name, "x");
    }

    static Stream<Arguments> refusedProjects() {
        return Stream.of(
                Arguments.of(List.of(file("../x")), "files[0].name: must be a relative path without '..'"),
                Arguments.of(
                        List.of(file("a"), file("b/../../x")), "files[1].name: must be a relative path without '..'"),
                Arguments.of(List.of(file("/etc/passwd")), "files[0].name: must be a relative path"),
                Arguments.of(List.of(file("")), "files[0].name: must not be empty"),
                Arguments.of(List.of(file("a\\b")), "files[0].name: must not contain a backslash"),
                Arguments.of(List.of(file("a\0b")), "files[0].name: must not contain NUL"),
                Arguments.of(List.of(file("a//b")), "files[0].name: must not have an empty or '.' segment"),
                Arguments.of(List.of(file("./a")), "files[0].name: must not have an empty or '.' segment"),
                Arguments.of(List.of(file("a/")), "files[0].name: must not have an empty or '.' segment"),
                Arguments.of(List.of(file("é".repeat(128))), "files[0].name: must be at most 255 bytes"),
                Arguments.of(List.of(file("a"), file("b"), file("a")), "files[2].name: duplicate of files[0]"),
                Arguments.of(List.of(file("main.c")), "files[0].name: must not be the main file's name"),
                Arguments.of(List.of(file("a"), file("a/b")), "files[1].name: a directory in its path is files[0]"),
                Arguments.of(List.of(file("a/b/c"), file("a/b")), "files[1].name: is a directory of files[0]"),
                Arguments.of(List.of(file("main.c/x")), "files[0].name: a directory in its path is the main file"),
                Arguments.of(List.of(ProjectFile.base64("b", "AAE")), "files[0].content: not valid base64"),
                Arguments.of(List.of(ProjectFile.base64("b", "AA E=")), "files[0].content: not valid base64"),
                Arguments.of(List.of(ProjectFile.base64("b", "AB==")), "files[0].content: not valid base64"),
                Arguments.of(List.of(ProjectFile.base64("b", "AA==\n")), "files[0].content: not valid base64"),
                Arguments.of(List.of(ProjectFile.base64("b", "AA-_")), "files[0].content: not valid base64"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void refusedProjects(List<ProjectFile> files, String message) {
        EngineSession session = session(limits(Duration.ofSeconds(20), Duration.ofSeconds(30)));
        session.handle(exec(1, "c", files, RequestLimits.NONE));
        assertThat(sink.assertError(Nonce.of(1), 400).message()).isEqualTo(message);
        assertThat(sink.hasEvent()).isFalse();
        assertThat(sandbox.executions()).isEmpty();
    }

    static Stream<Arguments> refusedLimits() {
        return Stream.of(
                Arguments.of(new RequestLimits(20_001L, null, null, null), "limits.timeoutms: at most 20000"),
                Arguments.of(new RequestLimits(null, 30_001L, null, null), "limits.compiletimeoutms: at most 30000"),
                Arguments.of(
                        new RequestLimits(null, null, 104_857_601L, null), "limits.memorybytes: at most 104857600"),
                Arguments.of(new RequestLimits(null, null, null, 1_048_577L), "limits.outputbytes: at most 1048576"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void refusedLimits(RequestLimits limits, String message) {
        EngineSession session = session(RunLimits.builder().build());
        session.handle(exec(1, "sh", List.of(), limits));
        assertThat(sink.assertError(Nonce.of(1), 400).message()).isEqualTo(message);
        assertThat(sink.hasEvent()).isFalse();
    }

    @Test
    void moreFilesThanTheServerAllowsAreRefusedNamingTheLimit() {
        EngineSession session = session(RunLimits.builder().maxFiles(2).build());
        session.handle(exec(1, "sh", List.of(file("a"), file("b"), file("c")), RequestLimits.NONE));
        assertThat(sink.assertError(Nonce.of(1), 400).message()).isEqualTo("files: too many files: 3, the limit is 2");
    }

    @Test
    void codeStdinAndDecodedFilesCountTogetherAgainstTheCodeSize() throws Exception {
        EngineSession session = session(RunLimits.builder().maxCodeBytes(100).build());
        // "code" is 4 bytes; 96 bytes of base64-decoded content make exactly 100.
        String exact = Base64.getEncoder().encodeToString(new byte[96]);
        session.handle(exec(1, "sh", List.of(ProjectFile.base64("blob", exact)), RequestLimits.NONE));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        sink.untilStop(Nonce.of(1), runId);

        session.handle(exec(2, "sh", List.of(ProjectFile.base64("blob", exact), file("one")), RequestLimits.NONE));
        assertThat(sink.assertError(Nonce.of(2), 413).message())
                .isEqualTo("code, stdin and files are too large: 101 bytes, the limit is 100");
        session.handle(new Operation.Exec(
                Nonce.of(3),
                ExecutionRequest.of("sh", "code")
                        .withInput("in", false, false)
                        .withProject(List.of(ProjectFile.utf8("u", "é".repeat(47))), RequestLimits.NONE)));
        // Without STDIN the stdin is refused first: the sandbox here lacks it.
        assertThat(sink.assertError(Nonce.of(3), 400).message())
                .isEqualTo("this server's sandbox does not support stdin");
    }

    @Test
    void filesAndMemoryLimitsNeedTheSandboxsCapabilitiesTimeAndOutputLimitsDoNot() {
        EngineSession session = session(RunLimits.DEFAULTS, Set.of(Capability.COMPILE));
        session.handle(exec(1, "sh", List.of(file("a")), RequestLimits.NONE));
        assertThat(sink.assertError(Nonce.of(1), 400).message())
                .isEqualTo("this server's sandbox does not support files");
        session.handle(exec(2, "sh", List.of(), new RequestLimits(null, null, 1024L, null)));
        assertThat(sink.assertError(Nonce.of(2), 400).message())
                .isEqualTo("this server's sandbox does not support limits.memorybytes");
        session.handle(exec(3, "sh", List.of(), new RequestLimits(1000L, 1000L, null, 10L)));
        RunId runId = sink.assertSpawn(Nonce.of(3));
        sink.untilStop(Nonce.of(3), runId);
    }

    // --- files and limits: accepted ---------------------------------------------------------------

    @Test
    void theSandboxGetsTheDecodedFilesAndTheRunsOwnLimits() throws Exception {
        EngineSession session = session(RunLimits.DEFAULTS);
        byte[] binary = {0, 1, 2, (byte) 0xff, '\n', (byte) 0x80};
        session.handle(exec(
                1,
                "c",
                List.of(
                        ProjectFile.utf8("lib/util.h", "int util(void); // ü\n"),
                        ProjectFile.base64("data/blob.bin", Base64.getEncoder().encodeToString(binary)),
                        ProjectFile.utf8(".hidden..x", "")),
                new RequestLimits(1500L, 2500L, 33_554_432L, 4096L)));
        SandboxRequest request = sandbox.takeRequest();
        assertThat(request.files())
                .containsExactly(
                        SourceFile.of("lib/util.h", "int util(void); // ü\n"),
                        new SourceFile("data/blob.bin", binary),
                        new SourceFile(".hidden..x", new byte[0]));
        assertThat(request.timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(request.compileTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(request.memoryLimit()).isEqualTo(33_554_432L);
        RunId runId = sink.assertSpawn(Nonce.of(1));
        sink.untilStop(Nonce.of(1), runId);
    }

    @Test
    void withoutLimitsTheServersOwnApply() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(7), Duration.ofSeconds(9)));
        session.handle(exec(1, "sh"));
        SandboxRequest request = sandbox.takeRequest();
        assertThat(request.files()).isEmpty();
        assertThat(request.timeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(request.compileTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(request.memoryLimit()).isNull();
    }

    @Test
    void aRunsOwnOutputLimitDeliversExactlyThatManyBytes() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(20), Duration.ofSeconds(30)));
        sandbox.enqueue(
                Script.create().stdout("0123456789").stdout("abcdefghij").hang());
        session.handle(exec(1, "sh", List.of(), new RequestLimits(null, null, null, 15L)));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("0123456789abcde");
        assertThat(output.singleError())
                .isEqualTo(Event.Error.of(Nonce.of(1), ErrorCode.TOO_LARGE, "output limit exceeded"));
        assertThat(output.stop().result().truncated()).isTrue();
    }

    @Test
    void aRunsOwnTimeoutKillsAtItsDeadlineAndNotBefore() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(20), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().hang());
        session.handle(exec(1, "sh", List.of(), new RequestLimits(1000L, null, null, null)));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        time.awaitPending(1);
        time.advance(Duration.ofMillis(1000).minusNanos(1));
        assertThat(execution().kills.get()).isZero();
        time.advance(Duration.ofNanos(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError().message()).isEqualTo("code execution timed out");
        assertThat(output.stop().result().timedOut()).isTrue();
        assertThat(output.stop().result().stage())
                .as("no compile stage, no stage")
                .isNull();
    }

    // --- compile stage ----------------------------------------------------------------------------

    @Test
    void aCompileThatOutlivesItsOwnTimeoutEndsInTheCompileStage() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().stderr("compiling\n").hang().elapsed(Duration.ofMillis(30_004)));
        session.handle(exec(1, "c"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        assertThat(sink.next(Event.Log.class))
                .isEqualTo(new Event.Log(Nonce.of(1), runId, StdStream.STDERR, "compiling\n", Stage.COMPILE));
        time.awaitPending(1);
        var execution = execution();

        time.advance(Duration.ofSeconds(30).minusNanos(1));
        assertThat(execution.kills.get())
                .as("the run's 10 s timeout does not apply to the compile")
                .isZero();
        time.advance(Duration.ofNanos(1));
        assertThat(execution.kills.get()).isEqualTo(1);

        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.logs()).isEmpty();
        assertThat(output.singleError())
                .isEqualTo(Event.Error.of(Nonce.of(1), ErrorCode.TIMEOUT, "compilation timed out"));
        RunResult result = output.stop().result();
        assertThat(result.timedOut()).isTrue();
        assertThat(result.stage()).isEqualTo(Stage.COMPILE);
        assertThat(result.execTimeMs()).as("the program never ran").isZero();
        assertThat(result.compileTimeMs()).isEqualTo(30_004L);
        assertThat(result.signal()).isEqualTo("SIGKILL");
    }

    @Test
    void aClientsCompileTimeoutLowersTheServers() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().hang());
        session.handle(exec(1, "c", List.of(), new RequestLimits(null, 2000L, null, null)));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        time.awaitPending(1);
        time.advance(Duration.ofMillis(2000));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError().message()).isEqualTo("compilation timed out");
    }

    @Test
    void theRunStagesWholeTimeoutStartsWhenTheCompileEnded() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        var compiling = new CountDownLatch(1);
        sandbox.enqueue(Script.create()
                .stderr("warning\n")
                .gate(compiling)
                .compiled(Duration.ofMillis(25_000))
                .stdout("tick\n")
                .hang());
        session.handle(exec(1, "c"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        assertThat(sink.next(Event.Log.class))
                .isEqualTo(new Event.Log(Nonce.of(1), runId, StdStream.STDERR, "warning\n", Stage.COMPILE));
        time.awaitPending(1);
        var execution = execution();
        time.advance(Duration.ofSeconds(25));
        compiling.countDown();
        assertThat(sink.next(Event.Log.class))
                .isEqualTo(new Event.Log(Nonce.of(1), runId, StdStream.STDOUT, "tick\n", Stage.RUN));

        // 35 s after the start: past the compile deadline, which no longer applies.
        time.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(execution.kills.get()).isZero();
        assertThat(sink.hasEvent()).isFalse();
        time.advance(Duration.ofNanos(1));
        assertThat(execution.kills.get()).isEqualTo(1);

        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError().message()).isEqualTo("code execution timed out");
        RunResult result = output.stop().result();
        assertThat(result.timedOut()).isTrue();
        assertThat(result.stage()).isEqualTo(Stage.RUN);
        assertThat(result.compileTimeMs()).isEqualTo(25_000L);
    }

    @Test
    void aFailedCompileEndsWithTheCompilersStatusAndNoRunStage() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().stderr("main.c:1:1: error\n").exit(1).elapsed(Duration.ofMillis(96)));
        session.handle(exec(1, "c"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.errors()).isEmpty();
        assertThat(output.logs()).allSatisfy(log -> assertThat(log.stage()).isEqualTo(Stage.COMPILE));
        assertThat(output.stop().result()).isEqualTo(RunResult.exited(0, 1).withStage(Stage.COMPILE, 96));
    }

    @Test
    void theStageBoundaryFlushesSoNoLogMixesStages() throws Exception {
        // A coalescing delay that never passes in virtual time: only a flush sends what waits.
        EngineSession session =
                session(RunLimits.builder().coalesceDelay(Duration.ofMillis(5)).build());
        byte[] split = "é".getBytes(StandardCharsets.UTF_8);
        sandbox.enqueue(Script.create()
                .stderr("a")
                .stderr("b")
                .write(StdStream.STDERR, new byte[] {split[0]})
                .compiled(Duration.ofMillis(3))
                .stderr("c")
                .stderr("d")
                .exit(0)
                .elapsed(Duration.ofMillis(4)));
        session.handle(exec(1, "c"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        var seen = new ArrayList<String>();
        output.logs().forEach(log -> seen.add(log.stage().wireName() + ":" + log.text()));
        assertThat(seen).containsExactly("compile:a", "compile:b\uFFFD", "run:cd");
        assertThat(output.stop().result()).isEqualTo(RunResult.exited(4, 0).withStage(Stage.RUN, 3));
    }

    @Test
    void compileAndRunOutputShareTheOutputLimit() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create()
                .stderr("12345678")
                .compiled(Duration.ofMillis(1))
                .stdout("abcdefgh")
                .hang());
        session.handle(exec(1, "c", List.of(), new RequestLimits(null, null, null, 10L)));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDERR)).isEqualTo("12345678");
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("ab");
        assertThat(output.stop().result().truncated()).isTrue();
        assertThat(output.stop().result().stage()).isEqualTo(Stage.RUN);
    }

    @Test
    void aSpecWithoutACompileStageCarriesNoStage() throws Exception {
        EngineSession session = session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().stdout("x").exit(0));
        session.handle(exec(1, "sh"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.logs()).allSatisfy(log -> assertThat(log.stage()).isNull());
        assertThat(output.stop().result().stage()).isNull();
        assertThat(output.stop().result().compileTimeMs()).isNull();
    }

    // --- REST ------------------------------------------------------------------------------------

    static ExecOutcome await(java.util.concurrent.CompletableFuture<ExecOutcome> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    @Test
    void restSplitsTheOutputByStageIntoTheCompileObject() throws Exception {
        session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create()
                .stderr("warning\n")
                .stdout("cc says hi\n")
                .compiled(Duration.ofMillis(640))
                .stdout("tick\n")
                .exit(3)
                .elapsed(Duration.ofMillis(5)));
        ExecOutcome outcome = await(engine.exec(ExecutionRequest.of("c", "code"), "1.2.3.4"));
        var response = ((ExecOutcome.Completed) outcome).response();
        assertThat(response.stdout()).isEqualTo("tick\n");
        assertThat(response.stderr()).isEmpty();
        assertThat(response.result()).isEqualTo(RunResult.exited(5, 3).withStage(Stage.RUN, 640));
        assertThat(response.compile()).isEqualTo(new CompileResult("cc says hi\n", "warning\n", 0, null, 640));
    }

    @Test
    void restReportsAFailedCompileInTheCompileObject() throws Exception {
        session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().stderr("error\n").exit(1).elapsed(Duration.ofMillis(96)));
        ExecOutcome outcome = await(engine.exec(ExecutionRequest.of("c", "code"), "1.2.3.4"));
        var response = ((ExecOutcome.Completed) outcome).response();
        assertThat(response.stdout()).isEmpty();
        assertThat(response.stderr()).as("the run stage's, which never ran").isEmpty();
        assertThat(response.result()).isEqualTo(RunResult.exited(0, 1).withStage(Stage.COMPILE, 96));
        assertThat(response.compile()).isEqualTo(new CompileResult("", "error\n", 1, null, 96));
    }

    @Test
    void restReportsACompileTimeoutAsAnErrorWithTheCompilersOutput() throws Exception {
        session(limits(Duration.ofSeconds(10), Duration.ofSeconds(30)));
        sandbox.enqueue(Script.create().stderr("slow\n").hang().elapsed(Duration.ofMillis(2000)));
        var future = engine.exec(
                ExecutionRequest.of("c", "code").withProject(List.of(), new RequestLimits(null, 2000L, null, null)),
                "1.2.3.4");
        execution();
        time.awaitPending(1);
        // The compiler's output is in before the deadline passes.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (execution().stepsDone < 1) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            LockSupport.parkNanos(100_000);
        }
        time.advance(Duration.ofMillis(2000));
        var failed = (ExecOutcome.Failed) await(future);
        assertThat(failed.error()).isEqualTo(new ErrorResponse("compilation timed out", 408));
        var run = java.util.Objects.requireNonNull(failed.run());
        assertThat(run.result().timedOut()).isTrue();
        assertThat(run.result().stage()).isEqualTo(Stage.COMPILE);
        assertThat(run.compile()).isEqualTo(new CompileResult("", "slow\n", null, "SIGKILL", 2000));
    }

    // --- the spec map and the sandbox -------------------------------------------------------------

    @Test
    void infoListsTheProjectFeaturesTheSandboxDeclares() {
        session(RunLimits.DEFAULTS, Set.of(Capability.LIMITS, Capability.COMPILE, Capability.FILES, Capability.STDIN));
        assertThat(engine.features()).containsExactly("stdin", "files", "compile", "limits");
    }

    @Test
    void aSpecMapWithCompileStagesIsRefusedAtStartBySandboxWithoutCompile() {
        sandbox.capabilities = Set.of(Capability.FILES);
        assertThatThrownBy(() -> RannaEngine.builder()
                        .sandbox(sandbox)
                        .specs(SPECS)
                        .scheduler(time)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("spec map: c has a compile stage, which sandbox 'scripted' does not support (it lacks the"
                        + " \"compile\" capability)");
        assertThat(sandbox.closeCount()).isEqualTo(1);
    }

    @Test
    void aReloadToCompileStagesIsRefusedBySandboxWithoutCompileAndTheMapStays() {
        sandbox.capabilities = Set.of();
        SpecRegistry plain = SpecRegistry.parse("sh:\n  entrypoint: sh\n  filename: main.sh\n");
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(plain)
                .scheduler(time)
                .build();
        assertThatThrownBy(() -> engine.reloadSpecs(SPECS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("c has a compile stage");
        assertThat(engine.specs()).isSameAs(plain);
    }
}
