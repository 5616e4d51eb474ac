package dev.ranna.sandbox.tck;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.EventSink;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Capability;
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
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real {@link RannaEngine} on the kit's sandbox, for what the engine and the sandbox only do together:
 * the engine times a run (and a compile stage) and kills it through {@link Execution#kill()} at its
 * deadline. The engine does not own the sandbox (closing the engine leaves it open for the kit's other
 * tests); a request for language {@value #SH} runs with the kit's {@linkplain SandboxProviderTck#shellSpec()
 * shell spec}, one for {@value #COMPILED} with its {@linkplain SandboxProviderTck#compileSpec() compile
 * spec} (offered only when the sandbox declares {@link Capability#COMPILE}).
 */
final class EngineHarness implements AutoCloseable {
    /** The language of the shell spec. */
    static final String SH = "sh";
    /** The language of the compile spec. */
    static final String COMPILED = "sh-compiled";

    /** JSON, so no YAML parser is needed on an embedder's class path. */
    private static final String SH_ENTRY = "\"sh\": {\"entrypoint\": \"sh\", \"filename\": \"main.sh\"}";

    private static final String COMPILED_ENTRY = "\"sh-compiled\": {\"entrypoint\": \"sh\", \"filename\": \""
            + SandboxProviderTck.BUILD_FILE + "\", \"cmd\": \"" + SandboxProviderTck.PROGRAM_FILE
            + "\", \"compile\": \"sh " + SandboxProviderTck.BUILD_FILE + "\"}";

    private final RannaEngine engine;

    EngineHarness(Sandbox sandbox, LanguageSpec shellSpec, Duration timeout) {
        this(sandbox, shellSpec, null, RunLimits.builder().timeout(timeout).build());
    }

    /** An engine with {@code limits}, offering {@code compileSpec} as {@value #COMPILED} when it is not null. */
    EngineHarness(Sandbox sandbox, LanguageSpec shellSpec, @Nullable LanguageSpec compileSpec, RunLimits limits) {
        String specs = compileSpec == null ? "{" + SH_ENTRY + "}" : "{" + SH_ENTRY + ", " + COMPILED_ENTRY + "}";
        this.engine = RannaEngine.builder()
                .sandbox(new Shared(sandbox, shellSpec, compileSpec))
                .specs(SpecRegistry.parse(specs))
                .limits(limits)
                .shutdownTimeout(SandboxProviderTck.PROMPTLY)
                .build();
    }

    /** Runs {@code script} as one EXEC of the shell spec and returns its events up to and including the STOP. */
    List<Event> exec(String script, Duration within) throws InterruptedException {
        return exec(SH, script, within);
    }

    /** Runs {@code code} as one EXEC of {@code language} and returns its events up to and including the STOP. */
    List<Event> exec(String language, String code, Duration within) throws InterruptedException {
        var events = new LinkedBlockingQueue<Event>();
        EventSink sink = events::add;
        try (EngineSession session = engine.openSession(sink, "tck")) {
            session.handle(new Operation.Exec(Nonce.of(1), ExecutionRequest.of(language, code)));
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

    /**
     * The kit's sandbox as a provider, without handing over its closing; its capabilities are the
     * sandbox's, and a request's spec is the kit's own spec of that language.
     */
    private record Shared(
            Sandbox sandbox,
            LanguageSpec shellSpec,
            @Nullable LanguageSpec compileSpec) implements SandboxProvider, Sandbox {
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
            LanguageSpec compiled = compileSpec;
            LanguageSpec spec = compiled != null && request.spec().hasCompileStage() ? compiled : shellSpec;
            return sandbox.start(
                    SandboxRequest.builder(request.runId(), spec, request.code())
                            .arguments(request.arguments())
                            .environment(request.environment())
                            .timeout(request.timeout())
                            .stdin(request.stdin())
                            .tty(request.tty())
                            .files(request.files())
                            .compileTimeout(request.compileTimeout())
                            .memoryLimit(request.memoryLimit())
                            .build(),
                    sink);
        }

        @Override
        public Set<Capability> capabilities() {
            return sandbox.capabilities();
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
