package dev.ranna.bench.jmh;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.EventSink;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The engine's fixed cost per run, without a sandbox: EXEC of a program writing {@code hello\n} in
 * memory, until STOP. Validation, admission, executor hand-off, SPAWN, one LOG (after the coalescer's
 * final flush), STOP.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EngineRunBench {
    private RannaEngine engine;
    private EngineSession session;
    private volatile CompletableFuture<Event.Stop> stop;
    private long nonce;

    @Setup(Level.Trial)
    public void setUp() {
        engine = RannaEngine.builder()
                .sandbox(new InMemorySandbox())
                .specs(SpecRegistry.of(new SpecMap(Map.of(
                        "sh",
                        SpecEntry.builder()
                                .entrypoint("/bin/sh")
                                .cmd("main.sh")
                                .filename("main.sh")
                                .build()))))
                .build();
        session = engine.openSession(
                new EventSink() {
                    @Override
                    public void send(Event event) {
                        if (event instanceof Event.Stop) {
                            stop.complete((Event.Stop) event);
                        } else if (event instanceof Event.Error) {
                            stop.completeExceptionally(new IllegalStateException(event.toString()));
                        }
                    }
                },
                "bench");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        engine.close();
    }

    @Benchmark
    public Event.Stop hello() throws Exception {
        stop = new CompletableFuture<>();
        session.handle(new Operation.Exec(Nonce.of(++nonce), ExecutionRequest.of("sh", "6 6")));
        return stop.get(30, TimeUnit.SECONDS);
    }
}
