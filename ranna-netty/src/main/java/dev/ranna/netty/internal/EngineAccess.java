package dev.ranna.netty.internal;

import dev.ranna.engine.EngineSession;
import dev.ranna.engine.EventSink;
import dev.ranna.engine.ExecOutcome;
import dev.ranna.engine.RannaEngine;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.SpecMap;
import dev.ranna.protocol.SystemInfo;
import java.util.concurrent.CompletableFuture;

/**
 * What the handlers need of the engine. {@link RannaEngine} is final, so the handlers depend on this
 * narrow view and their unit tests script it.
 */
public interface EngineAccess {

    /** See {@link RannaEngine#openSession}. */
    EngineSession openSession(EventSink sink, String clientKey);

    /** See {@link RannaEngine#exec}. Never completes exceptionally. */
    CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey);

    /** The spec map for {@code GET /v1/spec}, in file order. */
    SpecMap specMap();

    /** The {@code sandbox} object of {@code /v1/info}. */
    SystemInfo.Sandbox sandboxInfo();

    /** The engine behind {@link RannaEngine}'s public API. */
    static EngineAccess of(RannaEngine engine) {
        return new EngineAccess() {
            @Override
            public EngineSession openSession(EventSink sink, String clientKey) {
                return engine.openSession(sink, clientKey);
            }

            @Override
            public CompletableFuture<ExecOutcome> exec(ExecutionRequest request, String clientKey) {
                return engine.exec(request, clientKey);
            }

            @Override
            public SpecMap specMap() {
                return engine.specs().specMap();
            }

            @Override
            public SystemInfo.Sandbox sandboxInfo() {
                return engine.sandboxInfo();
            }
        };
    }
}
