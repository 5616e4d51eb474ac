package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.ScriptedSandbox.Script;
import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.ResourceUsage;
import dev.ranna.protocol.ErrorResponse;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.RunResult;
import dev.ranna.protocol.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RannaEngine#exec}: the REST path, through the same lifecycle as an EXEC. */
@Timeout(30)
class EngineExecTest {
    final ScriptedSandbox sandbox = new ScriptedSandbox();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    RannaEngine engine;

    RannaEngine engine(RunLimits limits) {
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(EngineSessionTest.SPECS)
                .limits(limits)
                .meterRegistry(meters)
                .build();
        return engine;
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    static ExecOutcome await(java.util.concurrent.CompletableFuture<ExecOutcome> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    @Test
    void completedRunReturnsBothStreamsAndHowItEnded() throws Exception {
        engine(RunLimits.DEFAULTS);
        sandbox.enqueue(Script.create()
                .stdout("out ")
                .stderr("err")
                .stdout("put")
                .exit(1)
                .elapsed(Duration.ofMillis(12)));
        ExecOutcome outcome = await(engine.exec(ExecutionRequest.of("sh", "x"), "1.2.3.4"));
        assertThat(outcome).isInstanceOf(ExecOutcome.Completed.class);
        var response = ((ExecOutcome.Completed) outcome).response();
        assertThat(response.stdout()).isEqualTo("out put");
        assertThat(response.stderr()).isEqualTo("err");
        assertThat(response.result()).isEqualTo(RunResult.exited(12, 1));
    }

    @Test
    void usageAndOomOfASandboxThatMeasuresThemReachTheResultAndFeatures() throws Exception {
        sandbox.capabilities = Set.of(Capability.USAGE);
        engine(RunLimits.DEFAULTS);
        assertThat(engine.features()).containsExactly("usage");
        sandbox.enqueue(Script.create()
                .exit(0)
                .elapsed(Duration.ofMillis(1000))
                .usage(new ResourceUsage(Duration.ofMillis(990), 52_428_800), false));
        var response =
                ((ExecOutcome.Completed) await(engine.exec(ExecutionRequest.of("sh", "x"), "1.2.3.4"))).response();
        assertThat(response.result().usage()).isEqualTo(new Usage(990, 52_428_800));
        assertThat(response.result().oomKilled()).isFalse();

        sandbox.enqueue(Script.create().exit(137).usage(new ResourceUsage(Duration.ofMillis(5), 100), true));
        var oom = ((ExecOutcome.Completed) await(engine.exec(ExecutionRequest.of("sh", "x"), "1.2.3.4")))
                .response()
                .result();
        assertThat(oom.oomKilled()).isTrue();
        assertThat(oom.usage()).isEqualTo(new Usage(5, 100));
    }

    @Test
    void usageFromASandboxThatDoesNotDeclareItIsLeftOut() throws Exception {
        engine(RunLimits.DEFAULTS);
        assertThat(engine.features()).isEmpty();
        sandbox.enqueue(Script.create().exit(0).usage(new ResourceUsage(Duration.ofMillis(990), 1), false));
        var response =
                ((ExecOutcome.Completed) await(engine.exec(ExecutionRequest.of("sh", "x"), "1.2.3.4"))).response();
        assertThat(response.result().usage()).isNull();
    }

    @Test
    void cancellingTheFutureKillsTheRunLongBeforeItsTimeout() throws Exception {
        // A REST client that disconnects: the server cancels the future, and nobody is left to read.
        engine(RunLimits.builder().timeout(Duration.ofMinutes(5)).build());
        sandbox.enqueue(Script.create().stdout("working").hang());
        var future = engine.exec(ExecutionRequest.of("sh", "sleep 300"), "k");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sandbox.executions().isEmpty()) {
            assertThat(System.nanoTime()).as("the run starts").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
        assertThat(future.cancel(false)).isTrue();
        var execution = sandbox.executions().get(0);
        assertThat(execution.exit.get(10, TimeUnit.SECONDS).signal()).isEqualTo("SIGKILL");
        while (engine.activeRuns() > 0) {
            assertThat(System.nanoTime()).as("the slot is given back").isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
    }

    @Test
    void refusedRequestIsAFailedOutcome() throws Exception {
        engine(RunLimits.DEFAULTS);
        assertThat(await(engine.exec(ExecutionRequest.of("cobol", "x"), "k")))
                .isEqualTo(new ExecOutcome.Failed(new ErrorResponse("unsupported language spec", 400)));
        assertThat(sandbox.executions()).isEmpty();
    }

    @Test
    void timeoutAndOutputLimitAreFailedOutcomesWithTheirCodes() throws Exception {
        engine(RunLimits.builder()
                .timeout(Duration.ofMillis(100))
                .maxOutputBytes(4)
                .build());
        sandbox.enqueue(Script.create().hang());
        var timedOut = (ExecOutcome.Failed) await(engine.exec(ExecutionRequest.of("sh", "sleep"), "k"));
        assertThat(timedOut.error()).isEqualTo(new ErrorResponse("code execution timed out", 408));
        assertThat(timedOut.run().result().timedOut()).isTrue();
        sandbox.enqueue(Script.create().stdout("123456789").hang());
        var truncated = (ExecOutcome.Failed) await(engine.exec(ExecutionRequest.of("sh", "yes"), "k"));
        assertThat(truncated.error()).isEqualTo(new ErrorResponse("output limit exceeded", 413));
        assertThat(truncated.run().stdout()).isEqualTo("1234");
        assertThat(truncated.run().result().truncated()).isTrue();
    }

    @Test
    void cancellingTheFutureKillsTheRun() throws Exception {
        engine(RunLimits.DEFAULTS);
        sandbox.enqueue(Script.create().hang());
        var future = engine.exec(ExecutionRequest.of("sh", "sleep"), "k");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (sandbox.executions().isEmpty()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            LockSupport.parkNanos(100_000); // poll every 0.1 ms without taking a core
        }
        future.cancel(true);
        var status = sandbox.executions().get(0).exit.get(5, TimeUnit.SECONDS);
        assertThat(status.signal()).isEqualTo("SIGKILL");
    }

    @Test
    void specsAreReloadedOnScheduleAndABrokenSourceKeepsTheCurrentMap() throws Exception {
        var time = new FakeScheduler();
        var calls = new java.util.concurrent.atomic.AtomicInteger();
        engine = RannaEngine.builder()
                .sandbox(sandbox)
                .specs(EngineSessionTest.SPECS)
                .reloadSpecs(
                        () -> {
                            if (calls.incrementAndGet() == 1) {
                                throw new IllegalArgumentException("spec.yaml: x.use: names 'y'");
                            }
                            return SpecRegistry.parse("py:\n  entrypoint: python3\n  filename: main.py\n");
                        },
                        CronSchedule.parse("scheduler.updatespecs", "@every 1s"))
                .scheduler(time)
                .build();
        // Virtual time: each second, the reload falls due on this thread.
        time.advance(Duration.ofSeconds(1));
        assertThat(calls.get()).as("first reload, which fails").isEqualTo(1);
        assertThat(engine.specs().languages()).as("kept after a failed reload").contains("sh");
        for (int second = 0; second < 5 && !engine.specs().languages().contains("py"); second++) {
            time.advance(Duration.ofSeconds(1));
        }
        assertThat(calls.get()).isGreaterThanOrEqualTo(2);
        assertThat(engine.specs().languages()).containsExactly("py");
        assertThat(sandbox.prepared).last().isEqualTo(java.util.List.of("py"));
    }

    @Test
    void metricsCountRunsByOutcome() throws Exception {
        engine(RunLimits.DEFAULTS);
        await(engine.exec(ExecutionRequest.of("sh", "x"), "k"));
        await(engine.exec(ExecutionRequest.of("cobol", "x"), "k"));
        assertThat(meters.get("ranna.runs.started").counter().count()).isEqualTo(1);
        assertThat(meters.get("ranna.runs.finished")
                        .tag("outcome", "exited")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("ranna.exec.rejected")
                        .tag("reason", "validation")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("ranna.runs.active").gauge().value()).isZero();
    }
}
