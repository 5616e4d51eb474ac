package dev.ranna.bench.jmh;

import dev.ranna.engine.spi.Availability;
import dev.ranna.engine.spi.Execution;
import dev.ranna.engine.spi.ExitStatus;
import dev.ranna.engine.spi.OutputSink;
import dev.ranna.engine.spi.Sandbox;
import dev.ranna.engine.spi.SandboxConfig;
import dev.ranna.engine.spi.SandboxProvider;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.StdStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A sandbox with no process: the code is {@code "<total bytes> <write size>"}, and {@code start} writes
 * that many {@code a} bytes to the sink in writes of that size, on the calling thread, then returns an
 * execution that has already exited 0. Isolates the engine's output path (UTF-8 chunker, coalescer, events).
 */
final class InMemorySandbox implements SandboxProvider, Sandbox {
    private static final byte[] BYTES = new byte[1 << 16];

    static {
        Arrays.fill(BYTES, (byte) 'a');
    }

    @Override
    public String name() {
        return "in-memory";
    }

    @Override
    public Availability availability(
            SandboxConfig config, java.util.Collection<dev.ranna.engine.spi.LanguageSpec> languages) {
        return Availability.available("in memory");
    }

    @Override
    public Sandbox create(SandboxConfig config) {
        return this;
    }

    @Override
    public Execution start(SandboxRequest request, OutputSink sink) {
        String[] parts = request.code().trim().split(" ");
        long total = Long.parseLong(parts[0]);
        int size = Integer.parseInt(parts[1]);
        for (long written = 0; written < total; written += size) {
            sink.write(StdStream.STDOUT, BYTES, 0, (int) Math.min(size, total - written));
        }
        CompletableFuture<ExitStatus> exit = CompletableFuture.completedFuture(ExitStatus.exited(0, Duration.ZERO));
        return new Execution() {
            @Override
            public CompletionStage<ExitStatus> exit() {
                return exit;
            }

            @Override
            public void kill() {}
        };
    }

    @Override
    public String version() {
        return "in-memory";
    }

    @Override
    public void close() {}
}
