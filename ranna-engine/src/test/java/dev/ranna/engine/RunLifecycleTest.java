package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The run lifecycle in virtual time: the engine's deadline, kill grace and give-up run on a {@link
 * FakeScheduler} the test advances, so "not before the deadline" is exact and a five-second grace costs
 * no wall time. Also {@link EngineSession#close()}'s promise against a send in flight.
 */
@Timeout(30)
class RunLifecycleTest {
    final FakeScheduler time = new FakeScheduler();
    final ScriptedSandbox sandbox = new ScriptedSandbox();
    final RecordingEventSink sink = new RecordingEventSink();
    RannaEngine engine;

    EngineSession session(Duration timeout) {
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(EngineSessionTest.SPECS)
                .limits(RunLimits.builder()
                        .timeout(timeout)
                        .coalesceDelay(Duration.ZERO)
                        .build())
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

    static Operation.Exec exec(int nonce) {
        return new Operation.Exec(Nonce.of(nonce), ExecutionRequest.of("sh", "sleep 100"));
    }

    private ScriptedSandbox.ScriptedExecution execution() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sandbox.executions().isEmpty()) {
            assertThat(System.nanoTime()).as("the run starts").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
        return sandbox.executions().get(0);
    }

    @Test
    void theEngineKillsAtTheDeadlineAndNotBefore() throws Exception {
        EngineSession session = session(Duration.ofSeconds(10));
        sandbox.enqueue(Script.create().stdout("tick\n").hang());
        session.handle(exec(1));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        assertThat(sink.next(Event.Log.class).text()).isEqualTo("tick\n");
        time.awaitPending(1);
        var execution = execution();

        time.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(execution.kills.get()).as("kills before the deadline").isZero();
        assertThat(sink.hasEvent()).isFalse();

        time.advance(Duration.ofNanos(1));
        assertThat(execution.kills.get()).as("kills at the deadline").isEqualTo(1);
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError())
                .isEqualTo(Event.Error.of(Nonce.of(1), ErrorCode.TIMEOUT, "code execution timed out"));
        assertThat(output.stop().result().timedOut()).isTrue();
        assertThat(output.stop().result().killed()).isFalse();
        assertThat(output.stop().result().signal()).isEqualTo("SIGKILL");
    }

    @Test
    void aSandboxThatNeverEndsTheRunIsGivenUpOnAfterTheGraceInNoWallTime() throws Exception {
        long wallStart = System.nanoTime();
        EngineSession session = session(Duration.ofSeconds(1));
        sandbox.enqueue(Script.create().hangForever());
        session.handle(exec(1));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        time.awaitPending(1);

        time.advance(Duration.ofSeconds(1));
        assertThat(execution().kills.get()).isEqualTo(1);
        time.advance(Run.KILL_GRACE.minusNanos(1));
        assertThat(sink.hasEvent()).as("an event before the grace is over").isFalse();
        assertThat(engine.activeRuns()).isEqualTo(1);

        time.advance(Duration.ofNanos(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError())
                .isEqualTo(
                        new Event.Error(Nonce.of(1), 500, "the sandbox did not end the run within 5 s of killing it"));
        assertThat(output.stop().result().timedOut())
                .as("the reason stays the timeout")
                .isTrue();
        assertThat(output.stop().result().killed()).isFalse();
        assertThat(engine.activeRuns()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - wallStart))
                .as("wall time of a 1 s timeout and a 5 s grace")
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aKilledRunWhoseSandboxNeverEndsItStillGetsErrorAndStop() throws Exception {
        EngineSession session = session(Duration.ofMinutes(5));
        sandbox.enqueue(Script.create().stdout("stuck").hangForever());
        session.handle(exec(1));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        assertThat(sink.next(Event.Log.class).text()).isEqualTo("stuck");
        session.handle(new Operation.Kill(Nonce.of(2), runId));
        time.advance(Run.KILL_GRACE.minusNanos(1));
        assertThat(sink.hasEvent()).as("an event before the grace is over").isFalse();

        time.advance(Duration.ofNanos(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.singleError())
                .isEqualTo(
                        new Event.Error(Nonce.of(1), 500, "the sandbox did not end the run within 5 s of killing it"));
        assertThat(output.stop().result().killed()).isTrue();
        assertThat(output.stop().result().timedOut()).isFalse();
        assertThat(engine.activeRuns()).isZero();
    }

    @Test
    void theFirstEndReasonIsTheOneReported() throws Exception {
        EngineSession session = session(Duration.ofSeconds(1));
        sandbox.enqueue(Script.create().hangForever());
        session.handle(exec(1));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        time.awaitPending(1);
        time.advance(Duration.ofSeconds(1));

        // The client's KILL comes while the timed-out run is still ending: it is the run's, so no ERROR
        // about the KILL, and it changes nothing.
        session.handle(new Operation.Kill(Nonce.of(2), runId));
        assertThat(execution().kills.get()).as("kills sent to the sandbox").isEqualTo(1);
        time.advance(Run.KILL_GRACE);
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.stop().result().timedOut()).isTrue();
        assertThat(output.stop().result().killed()).isFalse();
    }

    @Test
    void aClientKillCancelsTheDeadline() throws Exception {
        EngineSession session = session(Duration.ofSeconds(1));
        sandbox.enqueue(Script.create().hang());
        session.handle(exec(1));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        time.awaitPending(1);

        session.handle(new Operation.Kill(Nonce.of(2), runId));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.errors()).isEmpty();
        assertThat(output.stop().result().killed()).isTrue();
        assertThat(output.stop().result().timedOut()).isFalse();
        assertThat(time.pending()).as("deadline and grace cancelled").isZero();
        time.advance(Duration.ofMinutes(1));
        sink.assertExhausted();
    }

    @Test
    void aRunThatExitsLeavesNoTimerBehind() throws Exception {
        EngineSession session = session(Duration.ofSeconds(1));
        sandbox.enqueue(Script.create().stdout("done\n").exit(0));
        session.handle(exec(1));
        RunId runId = sink.assertSpawn(Nonce.of(1));
        var output = sink.untilStop(Nonce.of(1), runId);
        assertThat(output.stop().result().exitCode()).isZero();
        assertThat(time.pending()).isZero();
        assertThat(execution().kills.get()).isZero();
    }

    @Test
    void closeWaitsForASendInFlightAndNothingReachesTheSinkAfterItReturns() throws Exception {
        var sending = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var closeReturned = new AtomicBoolean();
        List<Event> late = new CopyOnWriteArrayList<>();
        EventSink slow = event -> {
            if (closeReturned.get()) {
                late.add(event);
            }
            if (event instanceof Event.Log) {
                sending.countDown();
                await(release);
            }
        };
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(EngineSessionTest.SPECS)
                .limits(RunLimits.builder().coalesceDelay(Duration.ZERO).build())
                .scheduler(time)
                .build();
        EngineSession session = engine.openSession(slow, "client");
        sandbox.enqueue(
                Script.create().stdout("one").stdout("two").stdout("three").hang());
        session.handle(exec(1));
        assertThat(sending.await(10, TimeUnit.SECONDS))
                .as("a LOG is being sent")
                .isTrue();

        var closer = new Thread(() -> {
            session.close();
            closeReturned.set(true);
        });
        closer.start();
        // close() must wait while the LOG is still inside the sink.
        EngineSessionTest.awaitThreadWaiting(closer);
        assertThat(closer.isAlive())
                .as("close() returned with a send in flight")
                .isTrue();
        release.countDown();
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(closeReturned).isTrue();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine.activeRuns() > 0) {
            assertThat(System.nanoTime()).as("the run ends").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
        assertThat(late)
                .as("events that reached the sink after close() returned")
                .isEmpty();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
