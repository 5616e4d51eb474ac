package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.engine.ScriptedSandbox.ScriptedExecution;
import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import dev.ranna.protocol.StdStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Interactive runs in the engine: stdin (EXEC's and op 3's), signals (op 4), terminals (op 5), gating. */
@Timeout(30)
class InteractiveRunTest {
    static final Set<Capability> ALL = EnumSet.of(Capability.STDIN, Capability.SIGNALS, Capability.TTY);

    final ScriptedSandbox sandbox = new ScriptedSandbox();
    final RecordingEventSink sink = new RecordingEventSink();
    RannaEngine engine;

    EngineSession session(Set<Capability> capabilities) {
        return session(capabilities, RunLimits.DEFAULTS);
    }

    EngineSession session(Set<Capability> capabilities, RunLimits limits) {
        sandbox.capabilities = capabilities;
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(EngineSessionTest.SPECS)
                .limits(limits)
                .shutdownTimeout(Duration.ofSeconds(5))
                .build();
        return engine.openSession(sink, "client-1");
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    static Operation.Exec exec(Nonce nonce, String stdin, boolean interactive, boolean tty) {
        return new Operation.Exec(nonce, ExecutionRequest.of("sh", "cat").withInput(stdin, interactive, tty));
    }

    static Operation.Stdin stdin(Nonce nonce, RunId runId, String data, boolean eof) {
        return new Operation.Stdin(nonce, runId, data, eof);
    }

    /** Takes LOGs until their stdout adds up to {@code expected}. */
    void awaitStdout(String expected) {
        var text = new StringBuilder();
        while (text.length() < expected.length()) {
            var log = sink.next(Event.Log.class);
            assertThat(log.stream()).isEqualTo(StdStream.STDOUT);
            text.append(log.text());
        }
        assertThat(text.toString()).isEqualTo(expected);
    }

    /** Sends a PING and asserts nothing came before its PONG: the operations before it sent no event. */
    void assertNoEventFor(EngineSession session) {
        session.handle(new Operation.Ping(Nonce.of("probe")));
        assertThat(sink.drainUntilPong()).isEmpty();
    }

    ScriptedExecution awaitExecution(int index) {
        await().atMost(Duration.ofSeconds(5)).until(() -> sandbox.executions().size() > index);
        return sandbox.executions().get(index);
    }

    // --- EXEC stdin --------------------------------------------------------------------------------

    @Test
    void withoutStdinOrInteractiveTheProgramGetsTheEmptySourceAsToday() throws Exception {
        EngineSession session = session(Set.of());
        session.handle(exec(Nonce.of(1), "", false, false));
        sink.untilStop(Nonce.of(1), sink.assertSpawn(Nonce.of(1)));

        SandboxRequest request = sandbox.takeRequest();
        assertThat(request.stdin()).isSameAs(StdinSource.EMPTY);
        assertThat(request.tty()).isFalse();
    }

    @Test
    void execStdinIsWrittenThenTheInputEnds() throws Exception {
        sandbox.enqueue(Script.create().echoStdin().stdout("|done"));
        EngineSession session = session(Set.of(Capability.STDIN));
        session.handle(exec(Nonce.of(1), "hello\nünï\n", false, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);

        assertThat(output.text(StdStream.STDOUT)).isEqualTo("hello\nünï\n|done");
        assertThat(output.errors()).isEmpty();
        assertThat(sandbox.executions().get(0).stdinEnded)
                .as("the program read EOF")
                .isTrue();
        assertThat(sandbox.takeRequest().stdin()).isNotSameAs(StdinSource.EMPTY);
    }

    @Test
    void execStdinCountsAgainstTheCodeSizeLimit() {
        EngineSession session =
                session(ALL, RunLimits.builder().maxCodeBytes(10).build());
        session.handle(exec(Nonce.of(1), "1234567", false, false));
        // "cat" and "1234567": 10 bytes, at the limit.
        sink.untilStop(Nonce.of(1), sink.assertSpawn(Nonce.of(1)));
        session.handle(exec(Nonce.of(2), "12345678", true, false));
        assertThat(sink.next())
                .isEqualTo(
                        new Event.Error(Nonce.of(2), 413, "code and stdin are too large: 11 bytes, the limit is 10"));
    }

    // --- STDIN -------------------------------------------------------------------------------------

    @Test
    void interactiveInputArrivesInOrderAndEofEndsIt() {
        var done = new CountDownLatch(1);
        sandbox.enqueue(Script.create().echoStdin().gate(done));
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "first;", true, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        awaitStdout("first;");

        session.handle(stdin(Nonce.of(2), runId, "second;", false));
        session.handle(stdin(Nonce.NONE, runId, "thïrd;", false));
        session.handle(stdin(Nonce.of(3), runId, "", true));
        awaitStdout("second;thïrd;");
        ScriptedExecution execution = awaitExecution(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> execution.stdinEnded);
        assertNoEventFor(session);

        // After EOF the input is closed, while the run still runs.
        session.handle(stdin(Nonce.of(4), runId, "late", false));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(4), 400, "stdin is not open"));
        session.handle(stdin(Nonce.of(5), runId, "", true));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(5), 400, "stdin is not open"));

        done.countDown();
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.errors()).isEmpty();
        assertThat(output.stop().result().exitCode()).isZero();
    }

    @Test
    void aMessagePastTheBufferIsRefusedWith413AndNothingOfItIsWritten() {
        var reading = new CountDownLatch(1);
        sandbox.enqueue(Script.create().gate(reading).echoStdin());
        EngineSession session =
                session(ALL, RunLimits.builder().maxStdinBufferBytes(10).build());
        session.handle(exec(Nonce.of(1), "1234", true, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));

        session.handle(stdin(Nonce.of(2), runId, "5678", false));
        assertNoEventFor(session);
        session.handle(stdin(Nonce.of(3), runId, "abc", true));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(3), 413, "stdin buffer full"));
        session.handle(stdin(Nonce.of(4), runId, "ab", false));
        session.handle(stdin(Nonce.of(5), runId, "é", false));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(5), 413, "stdin buffer full"));
        session.handle(stdin(Nonce.of(6), runId, "", true));
        assertNoEventFor(session);

        reading.countDown();
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.text(StdStream.STDOUT)).isEqualTo("12345678ab");
        assertThat(output.errors()).isEmpty();
    }

    @Test
    void stdinToARunThatIsNotInteractiveIsNotOpen() {
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "given", false, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));

        session.handle(stdin(Nonce.of(2), runId, "more", false));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(2), 400, "stdin is not open"));
        session.handle(stdin(Nonce.of(3), runId, "", true));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(3), 400, "stdin is not open"));

        session.handle(new Operation.Kill(Nonce.NONE, runId));
        sink.untilStop(Nonce.of(1), runId);
    }

    @Test
    void theRunsEndReleasesAReaderStillWaitingForInput() throws Exception {
        // A sandbox whose pump outlived the program (it lost track of the run): the engine's end of the
        // run ends the input, so the pump's thread does not wait forever.
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", true, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        StdinSource input = sandbox.takeRequest().stdin();
        var result = new AtomicInteger(Integer.MIN_VALUE);
        var pump = new Thread(() -> {
            try {
                result.set(input.read(new byte[16], 0, 16));
            } catch (InterruptedException e) {
                result.set(-2);
            }
        });
        pump.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> pump.getState() == Thread.State.WAITING);

        session.handle(new Operation.Kill(Nonce.NONE, runId));
        sink.untilStop(Nonce.of(1), runId);
        pump.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(pump.isAlive()).isFalse();
        assertThat(result.get()).isEqualTo(-1);

        session.handle(stdin(Nonce.of(2), runId, "after the end", false));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(2), 400, "sandbox is not running"));
    }

    @Test
    void closingTheSessionEndsTheInputOfItsRuns() throws Exception {
        sandbox.enqueue(Script.create().echoStdin().hang());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", true, false));
        sink.assertSpawn(Nonce.of(1));
        ScriptedExecution execution = awaitExecution(0);
        StdinSource input = sandbox.takeRequest().stdin();

        session.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> execution.exit.isDone());
        assertThat(input.read(new byte[4], 0, 4)).isEqualTo(-1);
    }

    // --- ownership: unknown, finished and foreign runs look the same ----------------------------------

    static Stream<Arguments> runOperations() {
        return Stream.of(
                Arguments.of("STDIN", (Function<RunId, Operation>) id -> stdin(Nonce.of(9), id, "x", false)),
                Arguments.of("STDIN eof", (Function<RunId, Operation>) id -> stdin(Nonce.of(9), id, "", true)),
                Arguments.of("SIGNAL", (Function<RunId, Operation>)
                        id -> new Operation.Signal(Nonce.of(9), id, ProgramSignal.SIGINT)),
                Arguments.of("SIGNAL SIGKILL", (Function<RunId, Operation>)
                        id -> new Operation.Signal(Nonce.of(9), id, ProgramSignal.SIGKILL)),
                Arguments.of(
                        "RESIZE", (Function<RunId, Operation>) id -> new Operation.Resize(Nonce.of(9), id, 100, 40)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runOperations")
    void unknownFinishedAndForeignRunsAllSayNotRunning(String name, Function<RunId, Operation> operation) {
        EngineSession mine = session(ALL);
        var otherSink = new RecordingEventSink();
        EngineSession other = engine.openSession(otherSink, "client-2");
        var notRunning = new Event.Error(Nonce.of(9), 400, "sandbox is not running");

        mine.handle(operation.apply(new RunId("deadbeef")));
        assertThat(sink.next()).isEqualTo(notRunning);

        mine.handle(exec(Nonce.of(1), "", true, true));
        RunId finished = sink.assertSpawn(Nonce.of(1));
        sink.untilStop(Nonce.of(1), finished);
        mine.handle(operation.apply(finished));
        assertThat(sink.next()).isEqualTo(notRunning);

        sandbox.enqueue(Script.create().echoStdin().hang().exitOnSignal());
        other.handle(exec(Nonce.of(2), "", true, true));
        RunId foreign = otherSink.assertSpawn(Nonce.of(2));
        ScriptedExecution execution = awaitExecution(1);
        mine.handle(operation.apply(foreign));
        assertThat(sink.next()).isEqualTo(notRunning);

        // Nothing reached the foreign run.
        other.handle(new Operation.Ping(Nonce.of("probe")));
        assertThat(otherSink.drainUntilPong()).isEmpty();
        assertThat(execution.signals).isEmpty();
        assertThat(execution.resizes).isEmpty();
        assertThat(execution.kills.get()).isZero();
        assertThat(execution.stepsDone).isZero();
        other.handle(new Operation.Kill(Nonce.NONE, foreign));
        var output = otherSink.untilStop(Nonce.of(2), foreign);
        assertThat(output.logs()).as("no input of the other session reached it").isEmpty();
    }

    // --- SIGNAL ------------------------------------------------------------------------------------

    @Test
    void aSignalThatEndsTheProgramIsReportedInStopAndIsNotAKill() {
        sandbox.enqueue(Script.create().hang().exitOnSignal());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", false, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        ScriptedExecution execution = awaitExecution(0);

        session.handle(new Operation.Signal(Nonce.of(2), runId, ProgramSignal.SIGCONT));
        assertNoEventFor(session);
        session.handle(new Operation.Signal(Nonce.of(3), runId, ProgramSignal.SIGTERM));
        var output = sink.untilStop(Nonce.of(1), runId);

        assertThat(execution.signals).containsExactly(ProgramSignal.SIGCONT, ProgramSignal.SIGTERM);
        assertThat(output.errors()).isEmpty();
        assertThat(output.stop().result().signal()).isEqualTo("SIGTERM");
        assertThat(output.stop().result().exitCode()).isNull();
        assertThat(output.stop().result().killed()).isFalse();
        assertThat(execution.kills.get()).isZero();
    }

    @Test
    void sigkillIsAKillOfTheWholeRun() {
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", false, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        ScriptedExecution execution = awaitExecution(0);

        session.handle(new Operation.Signal(Nonce.of(2), runId, ProgramSignal.SIGKILL));
        var output = sink.untilStop(Nonce.of(1), runId);

        assertThat(output.errors()).isEmpty();
        assertThat(output.stop().result().killed()).isTrue();
        assertThat(output.stop().result().signal()).isEqualTo("SIGKILL");
        assertThat(execution.kills.get()).isPositive();
        assertThat(execution.signals).isEmpty();
    }

    @Test
    void signalsAndASizeSentWhileTheSandboxStartsArriveOnceItHasStarted() {
        var started = new CountDownLatch(1);
        sandbox.enqueue(Script.create().startGate(started).hang().exitOnSignal());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", true, true));
        RunId runId = sink.assertSpawn(Nonce.of(1));

        session.handle(new Operation.Resize(Nonce.of(2), runId, 120, 50));
        session.handle(new Operation.Resize(Nonce.of(3), runId, 132, 43));
        session.handle(new Operation.Signal(Nonce.of(4), runId, ProgramSignal.SIGSTOP));
        session.handle(new Operation.Signal(Nonce.of(5), runId, ProgramSignal.SIGCONT));
        session.handle(new Operation.Signal(Nonce.of(6), runId, ProgramSignal.SIGINT));
        assertNoEventFor(session);
        started.countDown();

        var output = sink.untilStop(Nonce.of(1), runId);
        ScriptedExecution execution = sandbox.executions().get(0);
        assertThat(execution.resizes).containsExactly(List.of(132, 43));
        assertThat(execution.signals)
                .containsExactly(ProgramSignal.SIGSTOP, ProgramSignal.SIGCONT, ProgramSignal.SIGINT);
        assertThat(output.stop().result().signal()).isEqualTo("SIGINT");
    }

    // --- RESIZE ------------------------------------------------------------------------------------

    @Test
    void resizeReachesATtyRunsTerminalAndSendsNothing() throws Exception {
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", false, true));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        ScriptedExecution execution = awaitExecution(0);
        assertThat(sandbox.takeRequest().tty()).isTrue();

        session.handle(new Operation.Resize(Nonce.of(2), runId, 1, 1000));
        session.handle(new Operation.Resize(Nonce.of(3), runId, 200, 60));
        assertNoEventFor(session);
        assertThat(execution.resizes).containsExactly(List.of(1, 1000), List.of(200, 60));

        session.handle(new Operation.Kill(Nonce.NONE, runId));
        sink.untilStop(Nonce.of(1), runId);
    }

    @Test
    void resizeOfARunWithoutTerminalIsRefused() {
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session(ALL);
        session.handle(exec(Nonce.of(1), "", true, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        ScriptedExecution execution = awaitExecution(0);

        session.handle(new Operation.Resize(Nonce.of(2), runId, 80, 24));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(2), 400, "run has no terminal"));
        assertThat(execution.resizes).isEmpty();

        session.handle(new Operation.Kill(Nonce.NONE, runId));
        sink.untilStop(Nonce.of(1), runId);
    }

    // --- gating by the sandbox's capabilities ---------------------------------------------------------

    static Stream<Arguments> featuresTheSandboxLacks() {
        return Stream.of(
                Arguments.of(
                        EnumSet.of(Capability.SIGNALS, Capability.TTY),
                        ExecutionRequest.of("sh", "cat").withInput("input", false, false),
                        "this server's sandbox does not support stdin"),
                Arguments.of(
                        EnumSet.of(Capability.SIGNALS, Capability.TTY),
                        ExecutionRequest.of("sh", "cat").withInput("", true, false),
                        "this server's sandbox does not support stdin"),
                Arguments.of(
                        EnumSet.of(Capability.STDIN, Capability.SIGNALS),
                        ExecutionRequest.of("sh", "cat").withInput("", false, true),
                        "this server's sandbox does not support tty"),
                Arguments.of(
                        EnumSet.noneOf(Capability.class),
                        ExecutionRequest.of("sh", "cat").withInput("x", true, true),
                        "this server's sandbox does not support stdin"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("featuresTheSandboxLacks")
    void anExecNeedingAFeatureTheSandboxLacksIsRefused(
            Set<Capability> capabilities, ExecutionRequest request, String message) {
        EngineSession session = session(capabilities);
        session.handle(new Operation.Exec(Nonce.of(1), request));
        assertThat(sink.next()).isEqualTo(new Event.Error(Nonce.of(1), 400, message));
        assertNoEventFor(session);
        assertThat(sandbox.executions()).isEmpty();
    }

    @Test
    void aSignalOnASandboxWithoutSignalsIsRefusedBeforeAnythingElse() {
        sandbox.enqueue(Script.create().hang());
        EngineSession session = session(EnumSet.of(Capability.STDIN, Capability.TTY));
        session.handle(exec(Nonce.of(1), "", false, false));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        ScriptedExecution execution = awaitExecution(0);

        var refused = new Event.Error(Nonce.of(2), 400, "this server's sandbox does not support signals");
        session.handle(new Operation.Signal(Nonce.of(2), runId, ProgramSignal.SIGINT));
        assertThat(sink.next()).isEqualTo(refused);
        session.handle(new Operation.Signal(Nonce.of(2), runId, ProgramSignal.SIGKILL));
        assertThat(sink.next()).isEqualTo(refused);
        session.handle(new Operation.Signal(Nonce.of(2), new RunId("deadbeef"), ProgramSignal.SIGINT));
        assertThat(sink.next()).isEqualTo(refused);
        assertThat(execution.signals).isEmpty();
        assertThat(execution.kills.get()).isZero();

        session.handle(new Operation.Kill(Nonce.NONE, runId));
        sink.untilStop(Nonce.of(1), runId);
    }

    @Test
    void emptyStdinWithoutInteractiveNeedsNoCapability() throws Exception {
        EngineSession session = session(Set.of());
        session.handle(exec(Nonce.of(1), "", false, false));
        sink.untilStop(Nonce.of(1), sink.assertSpawn(Nonce.of(1)));
        assertThat(sandbox.takeRequest().stdin()).isSameAs(StdinSource.EMPTY);
    }

    @Test
    void featuresListOnlyWhatTheSandboxDeclares() {
        session(EnumSet.of(Capability.TTY, Capability.STDIN));
        assertThat(engine.features()).containsExactly("stdin", "tty");
        engine.close();
        session(ALL);
        assertThat(engine.features()).containsExactly("stdin", "signals", "tty");
    }

    @Test
    void aBlockingExecRefusesInteractive() throws Exception {
        session(ALL);
        ExecOutcome outcome = engine.exec(ExecutionRequest.of("sh", "cat").withInput("", true, false), "1.2.3.4")
                .get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(ExecOutcome.Failed.class);
        assertThat(((ExecOutcome.Failed) outcome).error())
                .isEqualTo(ErrorResponse.of(
                        dev.ranna.protocol.ErrorCode.BAD_REQUEST, "interactive runs need the WebSocket API"));
        assertThat(sandbox.executions()).isEmpty();
    }

    @Test
    void aBlockingExecTakesStdinAndTty() throws Exception {
        sandbox.enqueue(Script.create().echoStdin());
        session(ALL);
        ExecOutcome outcome = engine.exec(
                        ExecutionRequest.of("sh", "cat").withInput("rest input", false, true), "1.2.3.4")
                .get(5, TimeUnit.SECONDS);
        assertThat(outcome).isInstanceOf(ExecOutcome.Completed.class);
        assertThat(((ExecOutcome.Completed) outcome).response().stdout()).isEqualTo("rest input");
        assertThat(sandbox.takeRequest().tty()).isTrue();
    }
}
