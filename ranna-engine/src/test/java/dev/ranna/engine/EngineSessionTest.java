package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class EngineSessionTest {
    static final SpecRegistry SPECS = SpecRegistry.parse("""
            sh:
              entrypoint: sh
              filename: main.sh
            go:
              image: golang:alpine
              entrypoint: go run
              filename: main.go
              inline:
                import_regex: 'import\\s+"[\\w/]+"'
                template: "package main\\n$${IMPORTS}\\nfunc main() {\\n$${CODE}\\n}"
            bash:
              use: sh
            """);

    final ScriptedSandbox sandbox = new ScriptedSandbox();
    final RecordingEventSink sink = new RecordingEventSink();
    RannaEngine engine;

    RannaEngine engine(RunLimits limits) {
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(SPECS)
                .limits(limits)
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
        return engine;
    }

    EngineSession session() {
        return session(sink);
    }

    EngineSession session(RecordingEventSink to) {
        if (engine == null) {
            engine(RunLimits.DEFAULTS);
        }
        return engine.openSession(to, "client-1");
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    static Operation.Exec exec(Nonce nonce, String code) {
        return new Operation.Exec(nonce, ExecutionRequest.of("sh", code));
    }

    // --- lifecycle -------------------------------------------------------------------------------

    @Test
    void execEmitsSpawnThenLogsThenStopWithTheExecNonce() throws Exception {
        sandbox.enqueue(
                Script.create().stdout("hello\n").stderr("oops\n").exit(3).elapsed(Duration.ofMillis(42)));
        session().handle(exec(Nonce.of(123), "echo hello"));

        RunId runId = sink.assertSpawn(Nonce.of(123));
        var output = sink.untilStop(Nonce.of(123), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("hello\n");
        assertThat(output.text(StdStream.STDERR)).isEqualTo("oops\n");
        assertThat(output.errors()).isEmpty();
        assertThat(output.stop().result().exitCode()).isEqualTo(3);
        assertThat(output.stop().result().execTimeMs()).isEqualTo(42);
        assertThat(output.stop().result().killed()).isFalse();
        assertThat(output.stop().result().timedOut()).isFalse();
        assertThat(output.stop().result().truncated()).isFalse();
        sink.assertExhausted();

        SandboxRequest request = sandbox.takeRequest();
        assertThat(request.runId()).isEqualTo(runId);
        assertThat(request.code()).isEqualTo("echo hello");
        assertThat(request.command()).containsExactly("sh", "main.sh");
        assertThat(request.timeout()).isEqualTo(RunLimits.DEFAULTS.timeout());
    }

    @Test
    void execWithoutNonceCausesEventsWithoutNonce() {
        session().handle(exec(Nonce.NONE, "true"));
        RunId runId = sink.assertSpawn(Nonce.NONE);
        sink.untilStop(Nonce.NONE, runId);
    }

    @Test
    void runIdsAreRandom256BitLowercaseHexAndNeverRepeat() {
        EngineSession session = session();
        var ids = new HashSet<String>();
        for (int i = 0; i < 20; i++) {
            session.handle(exec(Nonce.of(i), "true"));
            RunId runId = sink.assertSpawn(Nonce.of(i));
            sink.untilStop(Nonce.of(i), runId);
            assertThat(runId.value()).matches("[0-9a-f]{64}");
            ids.add(runId.value());
        }
        assertThat(ids).hasSize(20);
    }

    @Test
    void aliasesResolveToTheirTarget() throws Exception {
        session().handle(new Operation.Exec(Nonce.of(1), ExecutionRequest.of("bash", "echo")));
        sink.untilStop(Nonce.of(1), sink.assertSpawn(Nonce.of(1)));
        assertThat(sandbox.takeRequest().spec().key()).isEqualTo("sh");
    }

    @Test
    void inlineExpressionIsExpandedWithImportsMovedOut() throws Exception {
        session()
                .handle(new Operation.Exec(
                        Nonce.of(1),
                        new ExecutionRequest(
                                "go",
                                "import \"time\"\nfor i := 0; i < 5; i++ { time.Sleep(1) }",
                                true,
                                List.of(),
                                Map.of())));
        sink.untilStop(Nonce.of(1), sink.assertSpawn(Nonce.of(1)));
        assertThat(sandbox.takeRequest().code())
                .isEqualTo(
                        "package main\nimport \"time\"\nfunc main() {\n\nfor i := 0; i < 5; i++ { time.Sleep(1) }\n}");
    }

    @Test
    void pingIsAnsweredWithPongAndItsNonce() {
        EngineSession session = session();
        session.handle(new Operation.Ping(Nonce.of(0)));
        session.handle(new Operation.Ping(Nonce.of("p")));
        session.handle(new Operation.Ping(Nonce.NONE));
        assertThat(sink.next()).isEqualTo(new Event.Pong(Nonce.of(0)));
        assertThat(sink.next()).isEqualTo(new Event.Pong(Nonce.of("p")));
        assertThat(sink.next()).isEqualTo(new Event.Pong(Nonce.NONE));
    }

    @Test
    void decodeFailureIsOneErrorWithTheNonceItRead() {
        session().handle(DecodeResult.Failure.badRequest(Nonce.of(5), "args.language: missing"));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(5), 400, "args.language: missing"));
        sink.assertExhausted();
    }

    // --- validation: one ERROR, nothing else --------------------------------------------------------

    static Stream<Arguments> invalidRequests() {
        return Stream.of(
                Arguments.of(ExecutionRequest.of("cobol", "x"), 400, "unsupported language spec"),
                Arguments.of(ExecutionRequest.of("", "x"), 400, "unsupported language spec"),
                Arguments.of(ExecutionRequest.of("sh", ""), 400, "code is empty"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", true, List.of(), Map.of()),
                        400,
                        "this spec has no support for inline expressions"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", false, List.of(), Map.of("A=B", "1")),
                        400,
                        "environment: invalid variable name 'A=B' (must be non-empty, without '=' or NUL)"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", false, List.of(), Map.of("", "1")),
                        400,
                        "environment: invalid variable name '' (must be non-empty, without '=' or NUL)"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", false, List.of(), Map.of("A\0B", "1")),
                        400,
                        "environment: invalid variable name 'A\\0B' (must be non-empty, without '=' or NUL)"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", false, List.of(), Map.of("A", "x\0y")),
                        400,
                        "environment.A: must not contain a NUL character"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", false, List.of("ok", "a\0b"), Map.of()),
                        400,
                        "arguments[1]: must not contain a NUL character"),
                Arguments.of(
                        ExecutionRequest.of("sh", "é".repeat(300_000)),
                        413,
                        "code is too large: 600000 bytes, the limit is 524288"),
                Arguments.of(
                        new ExecutionRequest("sh", "x", false, List.of("a".repeat(70_000)), Map.of()),
                        413,
                        "arguments and environment are too large: 70001 bytes, the limit is 65536"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("invalidRequests")
    void invalidExecGivesOneErrorAndNothingElse(ExecutionRequest request, int code, String message) {
        session().handle(new Operation.Exec(Nonce.of(9), request));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(9), code, message));
        // A later PING is answered next: proves no SPAWN/STOP of the refused EXEC was queued before it.
        session().handle(new Operation.Ping(Nonce.of(10)));
        assertThat(sink.drainUntilPong()).isEmpty();
        assertThat(sandbox.executions()).isEmpty();
    }

    // --- KILL ------------------------------------------------------------------------------------

    @Test
    void killStopsOwnRunAndTheStopComesOnTheExecNonce() {
        sandbox.enqueue(Script.create().stdout("started\n").hang());
        EngineSession session = session();
        session.handle(exec(Nonce.of(7), "sleep 100"));
        RunId runId = sink.assertSpawn(Nonce.of(7));
        assertThat(sink.next(Event.Log.class).text()).isEqualTo("started\n");

        session.handle(new Operation.Kill(Nonce.NONE, runId));
        var output = sink.untilStop(Nonce.of(7), runId);
        assertThat(output.errors()).isEmpty();
        assertThat(output.stop().result().killed()).isTrue();
        assertThat(output.stop().result().signal()).isEqualTo("SIGKILL");
        assertThat(output.stop().result().exitCode()).isNull();
        sink.assertExhausted();
    }

    @Test
    void killOfUnknownFinishedOrForeignRunSaysNotRunning() {
        EngineSession mine = session();
        var otherSink = new RecordingEventSink();
        EngineSession other = session(otherSink);

        mine.handle(new Operation.Kill(Nonce.of(1), new RunId("deadbeef")));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(1), 400, "sandbox is not running"));

        mine.handle(exec(Nonce.of(2), "true"));
        RunId finished = sink.assertSpawn(Nonce.of(2));
        sink.untilStop(Nonce.of(2), finished);
        mine.handle(new Operation.Kill(Nonce.of(3), finished));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(3), 400, "sandbox is not running"));

        sandbox.enqueue(Script.create().hang());
        other.handle(exec(Nonce.of(4), "sleep 100"));
        RunId foreign = otherSink.assertSpawn(Nonce.of(4));
        mine.handle(new Operation.Kill(Nonce.of(5), foreign));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(5), 400, "sandbox is not running"));
        assertThat(sandbox.executions()
                        .get(sandbox.executions().size() - 1)
                        .kills
                        .get())
                .isZero();

        other.handle(new Operation.Kill(Nonce.of(6), foreign));
        assertThat(otherSink.untilStop(Nonce.of(4), foreign).stop().result().killed())
                .isTrue();
    }

    @Test
    void killDuringSpawnKillsTheRunAsSoonAsItHasStarted() {
        var gate = new CountDownLatch(1);
        sandbox.enqueue(Script.create().startGate(gate).hang());
        EngineSession session = session();
        session.handle(exec(Nonce.of(1), "sleep 100"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        session.handle(new Operation.Kill(Nonce.of(2), runId));
        gate.countDown();
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.stop().result().killed()).isTrue();
        assertThat(sandbox.executions())
                .singleElement()
                .satisfies(e -> assertThat(e.kills.get()).isPositive());
    }

    @Test
    void killTwiceIsHarmless() {
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session();
        session.handle(exec(Nonce.of(1), "sleep 100"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        session.handle(new Operation.Kill(Nonce.of(2), runId));
        session.handle(new Operation.Kill(Nonce.of(3), runId));
        var events = new java.util.ArrayList<Event>();
        Event event;
        do {
            event = sink.next();
            events.add(event);
        } while (!(event instanceof Event.Stop));
        // The second KILL either lands before the STOP (ignored: already being killed) or after it.
        if (!sink.hasEvent()) {
            session.handle(new Operation.Ping(Nonce.of(4)));
        }
        assertThat(events.stream().filter(e -> e instanceof Event.Stop)).hasSize(1);
    }

    // --- timeouts, limits, failures ------------------------------------------------------------------

    @Test
    void timeoutGivesError408ThenStopTimedOut() {
        engine(RunLimits.builder().timeout(Duration.ofMillis(200)).build());
        sandbox.enqueue(Script.create().stdout("tick\n").hang());
        session().handle(exec(Nonce.of(1), "sleep 100"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("tick\n");
        assertThat(output.singleError())
                .isEqualTo(Event.Error.of(Nonce.of(1), ErrorCode.TIMEOUT, "code execution timed out"));
        assertThat(output.stop().result().timedOut()).isTrue();
        assertThat(output.stop().result().killed()).isFalse();
    }

    @Test
    void outputLimitGivesError413ThenStopTruncatedAndExactlyTheBudget() {
        engine(RunLimits.builder().maxOutputBytes(10).build());
        sandbox.enqueue(Script.create()
                .stdout("0123456")
                .stderr("789abc")
                .stdout("never")
                .hang());
        session().handle(exec(Nonce.of(1), "yes"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("0123456");
        assertThat(output.text(StdStream.STDERR)).isEqualTo("789");
        assertThat(output.singleError())
                .isEqualTo(Event.Error.of(Nonce.of(1), ErrorCode.TOO_LARGE, "output limit exceeded"));
        assertThat(output.stop().result().truncated()).isTrue();
        assertThat(sandbox.executions().get(0).kills.get()).isPositive();
    }

    @Test
    void sandboxFailureAfterSpawnGivesError500ThenStopWithoutLeakingDetails() {
        sandbox.enqueue(Script.create().stdout("partial").crash(new IllegalStateException("/var/lib/secret path")));
        session().handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("partial");
        assertThat(output.singleError().code()).isEqualTo(500);
        assertThat(output.singleError().message()).doesNotContain("/var/lib").doesNotContain("IllegalState");
    }

    @Test
    void startFailureGivesTheSandboxErrorThenStop() {
        sandbox.enqueue(Script.create()
                .failStart(new SandboxException(ErrorCode.INTERNAL, "image python:3 is not available", null)));
        session().handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError())
                .isEqualTo(new Event.Error(Nonce.of(1), 500, "image python:3 is not available"));
        assertThat(output.stop().result().execTimeMs()).isZero();
    }

    // --- output path -----------------------------------------------------------------------------

    @Test
    void multibyteCharactersSplitAcrossWritesArriveWholeAndInvalidBytesBecomeReplacement() {
        byte[] wave = "👋".getBytes(StandardCharsets.UTF_8);
        sandbox.enqueue(Script.create()
                .write(StdStream.STDOUT, new byte[] {wave[0]})
                .write(StdStream.STDOUT, new byte[] {wave[1], wave[2]})
                .write(StdStream.STDOUT, new byte[] {wave[3], (byte) 0xff, 'o', 'k'})
                .write(StdStream.STDERR, new byte[] {(byte) 0xe2, (byte) 0x82}));
        session().handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("👋\uFFFDok");
        assertThat(output.text(StdStream.STDERR)).isEqualTo("\uFFFD");
        output.logs().forEach(log -> assertThat(log.text()).doesNotContain("\uD83D\uFFFD"));
    }

    @Test
    void smallWritesAreCoalescedButStreamOrderIsKept() {
        var script = Script.create();
        for (int i = 0; i < 200; i++) {
            script.stdout("o" + i + ",");
        }
        script.stderr("E1").stdout("O2").stderr("E3");
        sandbox.enqueue(script);
        session().handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        var expectedStdout = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            expectedStdout.append("o").append(i).append(",");
        }
        assertThat(output.text(StdStream.STDOUT)).isEqualTo(expectedStdout + "O2");
        assertThat(output.logs().size()).isLessThan(60);
        int n = output.logs().size();
        assertThat(output.logs().subList(n - 3, n))
                .extracting(Event.Log::stream, Event.Log::text)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(StdStream.STDERR, "E1"),
                        org.assertj.core.groups.Tuple.tuple(StdStream.STDOUT, "O2"),
                        org.assertj.core.groups.Tuple.tuple(StdStream.STDERR, "E3"));
    }

    @Test
    void largeOutputIsSplitIntoBoundedChunks() {
        engine(RunLimits.builder().coalesceBytes(1024).build());
        sandbox.enqueue(Script.create().stdout("x".repeat(10_000)));
        session().handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).hasSize(10_000);
        assertThat(output.logs())
                .allSatisfy(log -> assertThat(log.text().length()).isLessThanOrEqualTo(1024));
    }

    @Test
    void outputWaitsWhileTheSinkIsNotWritable() {
        sandbox.enqueue(Script.create().stdout("first").stdout("second"));
        EngineSession session = session();
        session.writabilityChanged(false);
        session.handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var execution = awaitExecution();
        // The script thread must park inside the engine's write, having delivered nothing.
        awaitThreadWaiting(execution.thread);
        assertThat(execution.stepsDone).isZero();
        assertThat(sink.hasEvent()).isFalse();

        session.writabilityChanged(true);
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("firstsecond");
    }

    @Test
    void killReleasesAWriterBlockedOnBackpressure() {
        sandbox.enqueue(Script.create().stdout("blocked").hang());
        EngineSession session = session();
        session.writabilityChanged(false);
        session.handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        awaitThreadWaiting(awaitExecution().thread);
        session.handle(new Operation.Kill(Nonce.of(2), runId));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.stop().result().killed()).isTrue();
    }

    private ScriptedSandbox.ScriptedExecution awaitExecution() {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (sandbox.executions().isEmpty()) {
            assertThat(System.nanoTime()).as("execution started").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
        return sandbox.executions().get(0);
    }

    static void awaitThreadWaiting(Thread thread) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (thread.getState() != Thread.State.TIMED_WAITING && thread.getState() != Thread.State.WAITING) {
            assertThat(System.nanoTime()).as("thread parks").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
    }

    // --- capacity and rate limits ------------------------------------------------------------------

    @Test
    void perSessionRunLimitAnswers503() {
        engine(RunLimits.builder().maxRunsPerSession(1).build());
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session();
        session.handle(exec(Nonce.of(1), "sleep 100"));
        RunId first = sink.assertSpawn(Nonce.of(1));
        session.handle(exec(Nonce.of(2), "sleep 100"));
        var error = sink.assertError(Nonce.of(2), 503);
        assertThat(error.message()).contains("too many runs on this connection");
        session.handle(new Operation.Kill(Nonce.NONE, first));
        sink.untilStop(Nonce.of(1), first);
    }

    @Test
    void anExecSentInReplyToAStopIsNeverRefusedForCapacity() {
        engine(RunLimits.builder()
                .maxRunsPerSession(1)
                .maxConcurrentRuns(1)
                .maxQueuedRuns(0)
                .build());
        EngineSession session = session();
        for (int i = 0; i < 50; i++) {
            session.handle(exec(Nonce.of(i), "true"));
            sink.untilStop(Nonce.of(i), sink.assertSpawn(Nonce.of(i)));
        }
    }

    @Test
    void serverWideLimitQueuesInFifoOrderAndRefusesWhenTheQueueIsFull() {
        engine(RunLimits.builder().maxConcurrentRuns(1).maxQueuedRuns(1).build());
        var sinkB = new RecordingEventSink();
        var sinkC = new RecordingEventSink();
        sandbox.enqueue(Script.create().hang());
        EngineSession a = session();
        EngineSession b = session(sinkB);
        EngineSession c = session(sinkC);

        a.handle(exec(Nonce.of(1), "sleep 100"));
        RunId runA = sink.assertSpawn(Nonce.of(1));
        b.handle(exec(Nonce.of(2), "echo queued"));
        c.handle(exec(Nonce.of(3), "echo refused"));
        var refused = sinkC.assertError(Nonce.of(3), 503);
        assertThat(refused.message()).isEqualTo("server is at capacity: the run queue is full");
        assertThat(sinkB.hasEvent()).as("queued run has not spawned").isFalse();
        assertThat(engine.activeRuns()).isEqualTo(2);

        a.handle(new Operation.Kill(Nonce.NONE, runA));
        sink.untilStop(Nonce.of(1), runA);
        RunId runB = sinkB.assertSpawn(Nonce.of(2));
        sinkB.untilStop(Nonce.of(2), runB);
    }

    @Test
    void perClientCapCountsRunsAcrossAllSessionsOfTheClient() {
        engine(RunLimits.builder().maxRunsPerClient(2).maxRunsPerSession(4).build());
        var secondSink = new RecordingEventSink();
        EngineSession first = session();
        EngineSession second = session(secondSink);
        sandbox.enqueue(Script.create().hang());
        sandbox.enqueue(Script.create().hang());
        first.handle(exec(Nonce.of(1), "sleep 100"));
        RunId one = sink.assertSpawn(Nonce.of(1));
        second.handle(exec(Nonce.of(2), "sleep 100"));
        RunId two = secondSink.assertSpawn(Nonce.of(2));

        // Same client key on a third connection: refused, though that connection has no runs.
        var thirdSink = new RecordingEventSink();
        session(thirdSink).handle(exec(Nonce.of(3), "sleep 100"));
        assertThat(thirdSink.assertError(Nonce.of(3), 503).message())
                .isEqualTo("too many runs from this client: the limit is 2 at a time");

        // Another client is not affected.
        var otherSink = new RecordingEventSink();
        engine.openSession(otherSink, "client-2").handle(exec(Nonce.of(4), "true"));
        otherSink.untilStop(Nonce.of(4), otherSink.assertSpawn(Nonce.of(4)));

        // A finished run gives its share back.
        first.handle(new Operation.Kill(Nonce.NONE, one));
        sink.untilStop(Nonce.of(1), one);
        first.handle(exec(Nonce.of(5), "true"));
        sink.untilStop(Nonce.of(5), sink.assertSpawn(Nonce.of(5)));
        second.handle(new Operation.Kill(Nonce.NONE, two));
        secondSink.untilStop(Nonce.of(2), two);
    }

    @Test
    void theQueueServesClientsInTurnSoABacklogNeverDelaysAnotherClientsFirstRun() {
        engine(RunLimits.builder()
                .maxConcurrentRuns(1)
                .maxQueuedRuns(16)
                .maxRunsPerClient(0)
                .build());
        for (int i = 0; i < 6; i++) {
            sandbox.enqueue(Script.create().hang());
        }
        // The greedy client: four runs, each on a connection of its own (one sink each, so the STOP of one
        // and the SPAWN of the next may arrive in either order).
        var greedy = new ArrayList<EngineSession>();
        var greedySinks = new ArrayList<RecordingEventSink>();
        for (int i = 0; i < 4; i++) {
            var events = new RecordingEventSink();
            EngineSession connection = session(events);
            greedy.add(connection);
            greedySinks.add(events);
            connection.handle(exec(Nonce.of(i), "sleep 100"));
        }
        RunId running = greedySinks.get(0).assertSpawn(Nonce.of(0));
        var politeSink = new RecordingEventSink();
        EngineSession polite = engine.openSession(politeSink, "client-2");
        polite.handle(exec(Nonce.of(10), "sleep 100"));
        assertThat(engine.activeRuns()).isEqualTo(5);

        // The greedy client queued first, so its turn comes first: one run, then the other client's.
        greedy.get(0).handle(new Operation.Kill(Nonce.NONE, running));
        greedySinks.get(0).untilStop(Nonce.of(0), running);
        RunId second = greedySinks.get(1).assertSpawn(Nonce.of(1));
        greedy.get(1).handle(new Operation.Kill(Nonce.NONE, second));
        greedySinks.get(1).untilStop(Nonce.of(1), second);
        RunId politeRun = politeSink.assertSpawn(Nonce.of(10));
        assertThat(greedySinks.get(2).hasEvent())
                .as("greedy's third run still waits")
                .isFalse();

        polite.handle(new Operation.Kill(Nonce.NONE, politeRun));
        politeSink.untilStop(Nonce.of(10), politeRun);
        greedySinks.get(2).assertSpawn(Nonce.of(2));
        // Last first: closing the running one first hands its slot to the queued one, which may then
        // start before its own session is closed.
        for (int i = greedy.size() - 1; i >= 0; i--) {
            greedy.get(i).close();
        }
        awaitNoActiveRuns();
        assertThat(greedySinks.get(3).hasEvent())
                .as("the last run never started")
                .isFalse();
    }

    @Test
    void inlineExpansionOfAHostileImportListIsAnOrdinaryRun() throws Exception {
        // "import (" and thousands of quoted lines: a stack overflow on the network thread with
        // java.util.regex and a group repeated per line; linear and off that thread now.
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(SpecRegistry.parse(InlineExpanderTest.GO_SPEC))
                .build();
        String code = InlineExpanderTest.hostileImports(20_000) + "\nprintln(1)";
        session().handle(new Operation.Exec(Nonce.of(1), new ExecutionRequest("go", code, true, List.of(), Map.of())));
        sink.untilStop(Nonce.of(1), sink.assertSpawn(Nonce.of(1)));
        String expanded = sandbox.takeRequest().code();
        assertThat(expanded).startsWith("package main\n").endsWith("\nprintln(1)\n}");
    }

    @Test
    void rateLimitAnswers429PerClientKey() {
        engine(RunLimits.builder().rateLimit(2, Duration.ofHours(1)).build());
        EngineSession session = session();
        for (int i = 0; i < 2; i++) {
            session.handle(exec(Nonce.of(i), "true"));
            sink.untilStop(Nonce.of(i), sink.assertSpawn(Nonce.of(i)));
        }
        session.handle(exec(Nonce.of(2), "true"));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(2), 429, "you have been rate limited"));

        var otherSink = new RecordingEventSink();
        EngineSession otherClient = engine.openSession(otherSink, "client-2");
        otherClient.handle(exec(Nonce.of(3), "true"));
        otherSink.untilStop(Nonce.of(3), otherSink.assertSpawn(Nonce.of(3)));
    }

    // --- closing ---------------------------------------------------------------------------------

    @Test
    void sessionCloseDuringOutputKillsItsRunsAndSendsNothingMore() {
        var gate = new CountDownLatch(1);
        sandbox.enqueue(
                Script.create().stdout("before").gate(gate).stdout("after").hang());
        EngineSession session = session();
        session.handle(exec(Nonce.of(1), "x"));
        sink.assertSpawn(Nonce.of(1));
        assertThat(sink.next(Event.Log.class).text()).isEqualTo("before");
        session.close();
        gate.countDown();
        var execution = sandbox.executions().get(0);
        assertThat(execution
                        .exit
                        .orTimeout(5, java.util.concurrent.TimeUnit.SECONDS)
                        .join()
                        .signal())
                .isEqualTo("SIGKILL");
        awaitNoActiveRuns();
        sink.assertExhausted();
        session.handle(new Operation.Ping(Nonce.of(9)));
        sink.assertExhausted();
    }

    @Test
    void engineCloseKillsRunningRunsAndRefusesQueuedOnes() {
        engine(RunLimits.builder().maxConcurrentRuns(1).build());
        var queuedSink = new RecordingEventSink();
        sandbox.enqueue(Script.create().hang());
        EngineSession running = session();
        EngineSession queued = session(queuedSink);
        running.handle(exec(Nonce.of(1), "sleep 100"));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        queued.handle(exec(Nonce.of(2), "echo"));
        assertThat(engine.activeRuns()).isEqualTo(2);

        engine.close();

        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.stop().result().killed()).isTrue();
        assertThat(queuedSink.next()).isEqualTo(new Event.Error(Nonce.of(2), 503, "server is shutting down"));
        queuedSink.assertExhausted();
        assertThat(sandbox.closeCount()).isEqualTo(1);
        assertThat(engine.activeRuns()).isZero();

        running.handle(exec(Nonce.of(3), "echo"));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(3), 503, "server is shutting down"));
    }

    @Test
    void specReloadKeepsRunsInFlightOnTheirSpec() throws Exception {
        var gate = new CountDownLatch(1);
        sandbox.enqueue(Script.create().gate(gate).stdout("done"));
        EngineSession session = session();
        session.handle(exec(Nonce.of(1), "x"));
        RunId runId = sink.assertSpawn(Nonce.of(1));

        engine.reloadSpecs(SpecRegistry.parse("python3:\n  entrypoint: python3\n  filename: main.py\n"));
        session.handle(exec(Nonce.of(2), "x"));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(2), 400, "unsupported language spec"));
        gate.countDown();
        assertThat(sink.untilStop(Nonce.of(1), runId).text(StdStream.STDOUT)).isEqualTo("done");
        assertThat(sandbox.takeRequest().spec().key()).isEqualTo("sh");
        assertThat(engine.specs().languages()).containsExactly("python3");
        assertThat(sandbox.prepared).containsExactly(List.of("sh", "go"), List.of("python3"));
    }

    private void awaitNoActiveRuns() {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (engine.activeRuns() > 0) {
            assertThat(System.nanoTime()).as("runs end").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
    }
}
