package dev.ranna.engine;

import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.RunId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine's session: validation, nonce routing, KILL ownership. See {@link EngineSession}. */
final class DefaultEngineSession implements EngineSession {
    private static final Logger log = LoggerFactory.getLogger(DefaultEngineSession.class);

    static final String NOT_RUNNING = "sandbox is not running";

    private final EngineCore core;
    private final EventSink sink;
    private final String clientKey;
    private final Map<RunId, Run> runs = new ConcurrentHashMap<>();
    private volatile boolean closed;

    DefaultEngineSession(EngineCore core, EventSink sink, String clientKey) {
        this.core = core;
        this.sink = sink;
        this.clientKey = clientKey;
    }

    @Override
    public void handle(DecodeResult inbound) {
        if (closed) {
            return;
        }
        if (inbound instanceof DecodeResult.Failure) {
            send(((DecodeResult.Failure) inbound).toEvent());
            return;
        }
        Operation operation = ((DecodeResult.Success) inbound).operation();
        switch (operation.opCode()) {
            case PING:
                send(new Event.Pong(operation.nonce()));
                break;
            case EXEC:
                exec((Operation.Exec) operation);
                break;
            case KILL:
                kill((Operation.Kill) operation);
                break;
        }
    }

    private void exec(Operation.Exec exec) {
        Nonce nonce = exec.nonce();
        if (core.isClosed()) {
            reject(nonce, ErrorCode.UNAVAILABLE, "server is shutting down", "shutdown");
            return;
        }
        if (!core.rateLimiter().tryAcquire(clientKey)) {
            reject(nonce, ErrorCode.TOO_MANY_REQUESTS, "you have been rate limited", "ratelimit");
            return;
        }
        ExecutionRequest request = exec.request();
        RunLimits limits = core.limits();
        LanguageSpec spec = core.specs().find(request.language()).orElse(null);
        if (spec == null) {
            reject(nonce, ErrorCode.BAD_REQUEST, "unsupported language spec", "validation");
            return;
        }
        if (request.code().isEmpty()) {
            reject(nonce, ErrorCode.BAD_REQUEST, "code is empty", "validation");
            return;
        }
        int codeBytes = utf8Length(request.code());
        if (codeBytes > limits.maxCodeBytes()) {
            reject(
                    nonce,
                    ErrorCode.TOO_LARGE,
                    "code is too large: " + codeBytes + " bytes, the limit is " + limits.maxCodeBytes(),
                    "validation");
            return;
        }
        if (request.inlineExpression() && spec.inline() == null) {
            reject(nonce, ErrorCode.BAD_REQUEST, "this spec has no support for inline expressions", "validation");
            return;
        }
        String problem = checkArgumentsAndEnvironment(request, limits);
        if (problem != null) {
            reject(
                    nonce,
                    problem.startsWith("arguments and environment are too large")
                            ? ErrorCode.TOO_LARGE
                            : ErrorCode.BAD_REQUEST,
                    problem,
                    "validation");
            return;
        }
        if (runs.size() >= limits.maxRunsPerSession()) {
            reject(
                    nonce,
                    ErrorCode.UNAVAILABLE,
                    "too many runs on this connection: the limit is " + limits.maxRunsPerSession() + " at a time",
                    "capacity");
            return;
        }
        // The code of an inline expression is expanded by the run, off this (network) thread.
        var sandboxRequest = new SandboxRequest(
                RunId.random(), spec, request.code(), request.arguments(), request.environment(), limits.timeout());
        var run = new Run(core, this, nonce, sandboxRequest, request.inlineExpression());
        runs.put(run.id(), run);
        switch (core.admit(run)) {
            case START:
                core.dispatch(run);
                break;
            case QUEUED:
                if (closed) {
                    // The session closed while this EXEC was being admitted.
                    core.unqueue(run);
                }
                break;
            case FULL:
                runs.remove(run.id());
                reject(nonce, ErrorCode.UNAVAILABLE, "server is at capacity: the run queue is full", "capacity");
                break;
            case CLIENT_FULL:
                runs.remove(run.id());
                reject(
                        nonce,
                        ErrorCode.UNAVAILABLE,
                        "too many runs from this client: the limit is " + limits.maxRunsPerClient() + " at a time",
                        "capacity");
                break;
        }
    }

    private void reject(Nonce nonce, ErrorCode code, String message, String reason) {
        core.metrics().rejected(reason);
        send(Event.Error.of(nonce, code, message));
    }

    private static @Nullable String checkArgumentsAndEnvironment(ExecutionRequest request, RunLimits limits) {
        long total = 0;
        for (int i = 0; i < request.arguments().size(); i++) {
            String argument = request.arguments().get(i);
            if (argument.indexOf('\0') >= 0) {
                return "arguments[" + i + "]: must not contain a NUL character";
            }
            total += utf8Length(argument) + 1;
        }
        for (var entry : request.environment().entrySet()) {
            String key = entry.getKey();
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
                return "environment: invalid variable name '" + printable(key)
                        + "' (must be non-empty, without '=' or NUL)";
            }
            if (entry.getValue().indexOf('\0') >= 0) {
                return "environment." + key + ": must not contain a NUL character";
            }
            total += utf8Length(key) + utf8Length(entry.getValue()) + 2;
        }
        if (total > limits.maxArgumentBytes()) {
            return "arguments and environment are too large: " + total + " bytes, the limit is "
                    + limits.maxArgumentBytes();
        }
        return null;
    }

    private static String printable(String text) {
        String shown = text.replace("\0", "\\0");
        return shown.length() > 64 ? shown.substring(0, 64) + "..." : shown;
    }

    /** UTF-8 length without encoding (the code may be half a megabyte, on a network thread). */
    static int utf8Length(String text) {
        int bytes = text.length();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes++;
                } else if (Character.isHighSurrogate(c)
                        && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    // A pair is 4 bytes for 2 chars.
                    bytes += 2;
                    i++;
                } else {
                    // 3 bytes; a lone surrogate is encoded as '?' by String.getBytes, 1 byte.
                    bytes += Character.isSurrogate(c) ? 0 : 2;
                }
            }
        }
        return bytes;
    }

    private void kill(Operation.Kill kill) {
        Run run = runs.get(kill.runId());
        if (run == null || !run.isKillable()) {
            send(Event.Error.of(kill.nonce(), ErrorCode.BAD_REQUEST, NOT_RUNNING));
            return;
        }
        run.kill(Run.KillReason.CLIENT);
    }

    // --- used by runs and the engine -------------------------------------------------------------

    void send(Event event) {
        if (closed) {
            return;
        }
        try {
            sink.send(event);
        } catch (RuntimeException e) {
            log.warn("event sink failed; dropping {} event", event.eventCode(), e);
        }
    }

    boolean isWritable() {
        try {
            return sink.isWritable();
        } catch (RuntimeException e) {
            return true;
        }
    }

    boolean isClosed() {
        return closed;
    }

    String clientKey() {
        return clientKey;
    }

    void runEnded(Run run) {
        runs.remove(run.id(), run);
    }

    Iterable<Run> runs() {
        return runs.values();
    }

    /** Engine shutdown: kill running runs so their STOPs still reach the client. */
    void shutdown() {
        for (Run run : runs.values()) {
            run.kill(Run.KillReason.SHUTDOWN);
        }
    }

    @Override
    public void writabilityChanged() {
        for (Run run : runs.values()) {
            run.signalWritable();
        }
    }

    @Override
    public int activeRuns() {
        return runs.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Run run : runs.values()) {
            if (!core.unqueue(run)) {
                run.kill(Run.KillReason.CLIENT);
            }
        }
        core.sessionClosed(this);
    }
}
