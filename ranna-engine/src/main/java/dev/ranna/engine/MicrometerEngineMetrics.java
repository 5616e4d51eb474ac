package dev.ranna.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The engine's meters in a Micrometer registry, all named {@code ranna.*}. The only class of the engine
 * that touches Micrometer's types at run time: it is loaded only when the embedder gave the builder a
 * {@link MeterRegistry}, so micrometer-core is an optional dependency.
 */
final class MicrometerEngineMetrics implements EngineMetrics {
    private final MeterRegistry registry;
    private final Counter started;
    private final Counter outputBytes;
    private final Timer queueWait;
    private final Timer runDuration;

    MicrometerEngineMetrics(MeterRegistry registry, Supplier<Number> activeRuns, Supplier<Number> queuedRuns) {
        this.registry = registry;
        this.started = Counter.builder("ranna.runs.started")
                .description("Runs spawned")
                .register(registry);
        this.outputBytes = Counter.builder("ranna.output.bytes")
                .description("Program output bytes taken from sandboxes")
                .baseUnit("bytes")
                .register(registry);
        this.queueWait = Timer.builder("ranna.run.queue.wait")
                .description("Time an accepted EXEC waited for a free run slot")
                .register(registry);
        this.runDuration = Timer.builder("ranna.run.duration")
                .description("Program wall time")
                .register(registry);
        Gauge.builder("ranna.runs.active", activeRuns)
                .description("Runs holding a slot")
                .register(registry);
        Gauge.builder("ranna.runs.queued", queuedRuns)
                .description("Runs waiting for a slot")
                .register(registry);
    }

    @Override
    public void started(Duration waited) {
        started.increment();
        queueWait.record(waited);
    }

    @Override
    public void output(long bytes) {
        outputBytes.increment(bytes);
    }

    @Override
    public void finished(String outcome, Duration programTime) {
        Counter.builder("ranna.runs.finished")
                .description("Runs ended, by outcome")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        runDuration.record(programTime);
    }

    @Override
    public void rejected(String reason) {
        Counter.builder("ranna.exec.rejected")
                .description("EXECs refused before spawning, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }
}
