package dev.ranna.sandbox.tck;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.EventSink;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxException;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real {@link RannaEngine} on the kit's sandbox, for what the engine and the sandbox only do together:
 * the engine times a run and kills it through {@link Execution#kill()} at its deadline. The engine does
 * not own the sandbox (closing the engine leaves it open for the kit's other tests), and every request
 * it makes runs with the kit's {@linkplain SandboxProviderTck#shellSpec() shell spec}.
 */
final class EngineHarness implements AutoCloseable {
    /** JSON, so no YAML parser is needed on an embedder's class path. */
    private static final SpecRegistry SH =
            SpecRegistry.parse("{\"sh\": {\"entrypoint\": \"sh\", \"filename\": \"main.sh\"}}");

    private final RannaEngine engine;

    EngineHarness(Sandbox sandbox, LanguageSpec shellSpec, Duration timeout) {
        this.engine = RannaEngine.builder()
                .sandbox(new Shared(sandbox, shellSpec))
                .specs(SH)
                .limits(RunLimits.builder().timeout(timeout).build())
                .shutdownTimeout(SandboxProviderTck.PROMPTLY)
                .build();
    }

    /** Runs {@code script} as one EXEC and returns its events up to and including the STOP. */
    List<Event> exec(String script, Duration within) throws InterruptedException {
        var events = new LinkedBlockingQueue<Event>();
        EventSink sink = events::add;
        try (EngineSession session = engine.openSession(sink, "tck")) {
            session.handle(new Operation.Exec(Nonce.of(1), ExecutionRequest.of("sh", script)));
            return untilStop(events, within);
        }
    }

    private static List<Event> untilStop(BlockingQueue<Event> events, Duration within) throws InterruptedException {
        var seen = new ArrayList<Event>();
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Event event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (event == null) {
                throw new AssertionError("no STOP within " + within + "; events so far: " + seen);
            }
            seen.add(event);
            if (event instanceof Event.Stop) {
                return seen;
            }
        }
    }

    @Override
    public void close() {
        engine.close();
    }

    /** The kit's sandbox as a provider, without handing over its closing. */
    private record Shared(Sandbox sandbox, LanguageSpec shellSpec) implements SandboxProvider, Sandbox {
        @Override
        public String name() {
            return "tck";
        }

        @Override
        public Availability availability(SandboxConfig config, Collection<LanguageSpec> languages) {
            return Availability.available("the kit's sandbox");
        }

        @Override
        public Sandbox create(SandboxConfig config) {
            return this;
        }

        @Override
        public Execution start(SandboxRequest request, OutputSink sink) throws SandboxException {
            return sandbox.start(
                    SandboxRequest.builder(request.runId(), shellSpec, request.code())
                            .arguments(request.arguments())
                            .environment(request.environment())
                            .timeout(request.timeout())
                            .build(),
                    sink);
        }

        @Override
        public String version() {
            return sandbox.version();
        }

        @Override
        public Map<String, String> info() {
            return sandbox.info();
        }

        @Override
        public void close() {
            // The kit closes its sandbox itself, last.
        }
    }
}
