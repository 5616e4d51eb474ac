package dev.ranna.bench.jmh;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.EventSink;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
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
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The engine's output path through its public API: one EXEC per operation whose in-memory "program"
 * writes {@link #TOTAL} bytes in writes of {@code writeSize}; measured until its STOP reached the sink.
 * Includes the UTF-8 chunker, the coalescer (16 KiB LOG events), event creation and run bookkeeping.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EngineOutputBench {
    public static final long TOTAL = 1 << 20;

    @Param({"64", "8192"})
    public int writeSize;

    private RannaEngine engine;
    private EngineSession session;
    private final AtomicLong chars = new AtomicLong();
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
                .limits(RunLimits.builder().maxOutputBytes(1L << 30).build())
                .build();
        session = engine.openSession(
                new EventSink() {
                    @Override
                    public void send(Event event) {
                        if (event instanceof Event.Log) {
                            chars.addAndGet(((Event.Log) event).text().length());
                        } else if (event instanceof Event.Stop) {
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
    public Event.Stop output() throws Exception {
        chars.set(0);
        stop = new CompletableFuture<>();
        session.handle(new Operation.Exec(Nonce.of(++nonce), ExecutionRequest.of("sh", TOTAL + " " + writeSize)));
        Event.Stop result = stop.get(30, TimeUnit.SECONDS);
        if (chars.get() != TOTAL) {
            throw new IllegalStateException("got " + chars.get() + " chars");
        }
        return result;
    }
}
