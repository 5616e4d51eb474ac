package dev.ranna.netty.internal;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.EventSink;
import dev.ranna.engine.ExecOutcome;
import dev.ranna.engine.RannaEngine;
import dev.ranna.engine.RunLimits;
import dev.ranna.engine.SpecRegistry;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.SpecEntry;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.SystemInfo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/** A scripted engine for handler tests: records sessions and exec calls, answers as told. */
final class FakeEngine implements RannaEngine {
    final List<FakeSession> sessions = new CopyOnWriteArrayList<>();
    final List<ExecCall> execs = new CopyOnWriteArrayList<>();
    volatile BiFunction<ExecutionRequest, String, CompletableFuture<ExecOutcome>> onExec =
            (request, client) -> new CompletableFuture<>();
    volatile SpecMap specs = SpecMap.EMPTY;
    volatile SystemInfo.Sandbox sandbox = new SystemInfo.Sandbox("fake", "1.0", Map.of());

    record ExecCall(ExecutionRequest request, String clientKey) {}

    @Override
    public EngineSession openSession(EventSink sink, String clientKey) {
        var session = new FakeSession(sink, clientKey);
        sessions.add(session);
        return session;
    }

    @Override
    public CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey) {
        execs.add(new ExecCall(request, clientKey));
        return onExec.apply(request, clientKey);
    }

    @Override
    public SpecRegistry specs() {
        return SpecRegistry.of(specs);
    }

    @Override
    public void reloadSpecs(SpecRegistry next) {
        specs = next.specMap();
    }

    @Override
    public RunLimits limits() {
        return RunLimits.DEFAULTS;
    }

    @Override
    public String sandboxName() {
        return sandbox.type();
    }

    @Override
    public int activeRuns() {
        return 0;
    }

    @Override
    public void close() {}

    volatile List<String> features = List.of();

    @Override
    public List<String> features() {
        return features;
    }

    @Override
    public SystemInfo.Sandbox sandboxInfo() {
        return sandbox;
    }

    static SpecEntry entry(String filename) {
        return SpecEntry.builder().entrypoint("sh").filename(filename).build();
    }

    /** A session that records what it is given. */
    static final class FakeSession implements EngineSession {
        final EventSink sink;
        final String clientKey;
        final List<DecodeResult> handled = new CopyOnWriteArrayList<>();
        final List<Boolean> writability = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        FakeSession(EventSink sink, String clientKey) {
            this.sink = sink;
            this.clientKey = clientKey;
        }

        @Override
        public void handle(DecodeResult inbound) {
            handled.add(inbound);
        }

        @Override
        public void writabilityChanged(boolean writable) {
            writability.add(writable);
        }

        @Override
        public int activeRuns() {
            return 0;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
