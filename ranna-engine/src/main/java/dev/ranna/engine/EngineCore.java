package dev.ranna.engine;

import dev.ranna.engine.spi.Sandbox;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.SystemInfo;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;

/** Placeholder while the engine is written; replaced in the next commit. */
final class EngineCore {
    EngineCore(
            String sandboxName,
            Sandbox sandbox,
            Map<String, String> details,
            SpecRegistry specs,
            RunLimits limits,
            @Nullable ExecutorService executor,
            MeterRegistry registry,
            Duration shutdownTimeout) {}

    EngineSession openSession(EventSink sink, String clientKey) {
        throw new IllegalStateException();
    }

    CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey) {
        throw new IllegalStateException();
    }

    SpecRegistry specs() {
        throw new IllegalStateException();
    }

    void reloadSpecs(SpecRegistry specs) {}

    RunLimits limits() {
        throw new IllegalStateException();
    }

    String sandboxName() {
        throw new IllegalStateException();
    }

    SystemInfo.Sandbox sandboxInfo() {
        throw new IllegalStateException();
    }

    int activeRuns() {
        return 0;
    }

    void close() {}
}
