package dev.ranna.engine;

import dev.ranna.engine.spi.Capability;
import dev.ranna.engine.spi.LanguageSpec;
import dev.ranna.engine.spi.SandboxRequest;
import dev.ranna.engine.spi.StdinSource;
import dev.ranna.protocol.DecodeResult;
import dev.ranna.protocol.ErrorCode;
import dev.ranna.protocol.Event;
import dev.ranna.protocol.ExecutionRequest;
import dev.ranna.protocol.Nonce;
import dev.ranna.protocol.Operation;
import dev.ranna.protocol.ProgramSignal;
import dev.ranna.protocol.RunId;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's session: validation, nonce routing, KILL ownership, and the one gate every event of the
 * session passes to reach its sink. See {@link EngineSession}.
 *
 * <p>{@link #close()} keeps its promise that no event reaches the sink after it returns: every send
 * holds the read side of {@link #sendGate} while it checks {@link #closed} and calls the sink, and
 * close flips {@code closed} under the write side, so it waits for sends in flight and excludes later
 * ones. Sends of different runs do not exclude each other.
 */
final class DefaultEngineSession implements EngineSession {
    private static final Logger log = LoggerFactory.getLogger(DefaultEngineSession.class);

    static final String NOT_RUNNING = "sandbox is not running";
    static final String STDIN_NOT_OPEN = "stdin is not open";
    static final String STDIN_FULL = "stdin buffer full";
    static final String NO_TERMINAL = "run has no terminal";

    private final RealRannaEngine engine;
    private final EventSink sink;
    private final String clientKey;
    /** For routing KILLs to the session's own runs; capacity is counted by the {@link RunScheduler}. */
    private final Map<RunId, Run> runs = new ConcurrentHashMap<>();

    private final Writability writability = new Writability();
    private final ReentrantReadWriteLock sendGate = new ReentrantReadWriteLock();
    private volatile boolean closed;

    DefaultEngineSession(RealRannaEngine engine, EventSink sink, String clientKey) {
        this.engine = engine;
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
            case STDIN:
                stdin((Operation.Stdin) operation);
                break;
            case SIGNAL:
                signal((Operation.Signal) operation);
                break;
            case RESIZE:
                resize((Operation.Resize) operation);
                break;
        }
    }

    private void exec(Operation.Exec exec) {
        Nonce nonce = exec.nonce();
        ExecutionRequest request = exec.request();
        LanguageSpec spec = engine.specs().find(request.language()).orElse(null);
        Rejection rejection = engine.isClosed()
                ? Rejection.SHUTTING_DOWN
                : !engine.rateLimiter().tryAcquire(clientKey) ? Rejection.RATE_LIMITED : validate(request, spec);
        Project project = null;
        if (rejection == null && spec != null) {
            try {
                project = Project.check(request, spec, engine.limits(), engine.memoryLimit());
            } catch (Project.Refused refused) {
                rejection = refused.rejection();
            }
        }
        if (rejection != null || spec == null || project == null) {
            reject(nonce, rejection != null ? rejection : Rejection.invalid("unsupported language spec"));
            return;
        }
        // The program's input: the EXEC's stdin, then EOF, or (interactive) whatever STDIN adds until EOF.
        StdinBuffer input = null;
        StdinSource stdin;
        byte[] initial = request.stdin().getBytes(StandardCharsets.UTF_8);
        if (request.interactive()) {
            input = new StdinBuffer(engine.limits().maxStdinBufferBytes(), initial);
            stdin = input;
        } else {
            stdin = StdinSource.of(initial);
        }
        // The code of an inline expression is expanded by the run, off this (network) thread.
        var sandboxRequest = SandboxRequest.builder(RunId.random(), spec, request.code())
                .arguments(request.arguments())
                .environment(request.environment())
                .timeout(project.timeout)
                .stdin(stdin)
                .tty(request.tty())
                .files(project.files)
                .compileTimeout(project.compileTimeout)
                .memoryLimit(project.memoryLimit)
                .build();
        var run =
                new Run(engine, this, nonce, sandboxRequest, request.inlineExpression(), input, project.maxOutputBytes);
        runs.put(run.id(), run);
        RunScheduler.Decision decision = engine.admit(run);
        switch (decision) {
            case START:
                engine.dispatch(run);
                break;
            case QUEUED:
                if (closed) {
                    // The session closed while this EXEC was being admitted.
                    engine.unqueue(run);
                }
                break;
            case FULL:
            case CLIENT_FULL:
            case SESSION_FULL:
                runs.remove(run.id());
                reject(nonce, refusal(decision));
                break;
        }
    }

    private Rejection refusal(RunScheduler.Decision decision) {
        RunLimits limits = engine.limits();
        switch (decision) {
            case FULL:
                return Rejection.QUEUE_FULL;
            case CLIENT_FULL:
                return Rejection.clientFull(limits.maxRunsPerClient());
            case SESSION_FULL:
                return Rejection.sessionFull(limits.maxRunsPerSession());
            case START:
            case QUEUED:
                break;
        }
        throw new IllegalArgumentException("not a refusal: " + decision);
    }

    private void reject(Nonce nonce, Rejection rejection) {
        engine.metrics().rejected(rejection.kind().metric());
        send(rejection.toEvent(nonce));
    }

    /** The first problem of {@code request} for this server, or null when it may run. */
    private @Nullable Rejection validate(ExecutionRequest request, @Nullable LanguageSpec spec) {
        RunLimits limits = engine.limits();
        if (spec == null) {
            return Rejection.invalid("unsupported language spec");
        }
        if (request.code().isEmpty()) {
            return Rejection.invalid("code is empty");
        }
        if ((request.interactive() || !request.stdin().isEmpty()) && !supports(Capability.STDIN)) {
            return unsupported(Capability.STDIN);
        }
        if (request.tty() && !supports(Capability.TTY)) {
            return unsupported(Capability.TTY);
        }
        if (!request.files().isEmpty() && !supports(Capability.FILES)) {
            return unsupported(Capability.FILES);
        }
        if (request.limits().memoryBytes() != null && !supports(Capability.LIMITS)) {
            return Rejection.invalid("this server's sandbox does not support limits.memorybytes");
        }
        // The EXEC's stdin arrives with the code and counts against the same limit (files too: Project).
        long codeBytes = (long) utf8Length(request.code()) + utf8Length(request.stdin());
        if (request.files().isEmpty() && codeBytes > limits.maxCodeBytes()) {
            return Rejection.tooLarge(
                    (request.stdin().isEmpty() ? "code is too large: " : "code and stdin are too large: ") + codeBytes
                            + " bytes, the limit is " + limits.maxCodeBytes());
        }
        if (request.inlineExpression() && spec.inline() == null) {
            return Rejection.invalid("this spec has no support for inline expressions");
        }
        return checkArgumentsAndEnvironment(request, limits);
    }

    private boolean supports(Capability capability) {
        return engine.sandbox().capabilities().contains(capability);
    }

    /** The refusal of a feature this server's sandbox lacks, named as {@code /v1/info} names features. */
    static String unsupportedMessage(Capability capability) {
        return "this server's sandbox does not support " + capability.feature();
    }

    private static Rejection unsupported(Capability capability) {
        return Rejection.invalid(unsupportedMessage(capability));
    }

    private static @Nullable Rejection checkArgumentsAndEnvironment(ExecutionRequest request, RunLimits limits) {
        long total = 0;
        for (int i = 0; i < request.arguments().size(); i++) {
            String argument = request.arguments().get(i);
            if (argument.indexOf('\0') >= 0) {
                return Rejection.invalid("arguments[" + i + "]: must not contain a NUL character");
            }
            total += utf8Length(argument) + 1;
        }
        for (var entry : request.environment().entrySet()) {
            String key = entry.getKey();
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
                return Rejection.invalid("environment: invalid variable name '" + printable(key)
                        + "' (must be non-empty, without '=' or NUL)");
            }
            if (entry.getValue().indexOf('\0') >= 0) {
                return Rejection.invalid("environment." + key + ": must not contain a NUL character");
            }
            total += utf8Length(key) + utf8Length(entry.getValue()) + 2;
        }
        if (total > limits.maxArgumentBytes()) {
            return Rejection.tooLarge("arguments and environment are too large: " + total + " bytes, the limit is "
                    + limits.maxArgumentBytes());
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
        Run run = ownRun(kill.runId(), kill.nonce());
        if (run != null) {
            run.kill(Run.EndReason.KILLED_BY_CLIENT);
        }
    }

    /**
     * This session's run {@code runId} once its client can know it (SPAWN sent) and until it stopped, or
     * null after sending {@value #NOT_RUNNING}: an unknown, finished and another session's run all get the
     * same answer, so a client learns nothing about runs that are not its own.
     */
    private @Nullable Run ownRun(RunId runId, Nonce nonce) {
        Run run = runs.get(runId);
        if (run == null || !run.isKillable()) {
            send(Event.Error.of(nonce, ErrorCode.BAD_REQUEST, NOT_RUNNING));
            return null;
        }
        return run;
    }

    private void stdin(Operation.Stdin stdin) {
        Run run = ownRun(stdin.runId(), stdin.nonce());
        if (run == null) {
            return;
        }
        switch (run.offerInput(stdin.bytes(), stdin.eof())) {
            case ACCEPTED:
                break;
            case FULL:
                send(Event.Error.of(stdin.nonce(), ErrorCode.TOO_LARGE, STDIN_FULL));
                break;
            case CLOSED:
                send(Event.Error.of(stdin.nonce(), ErrorCode.BAD_REQUEST, STDIN_NOT_OPEN));
                break;
        }
    }

    /**
     * SIGNAL. SIGKILL is a KILL: the whole run is killed (every process, not only the program's group),
     * and its STOP says {@code killed} with signal {@code SIGKILL}, exactly as after op 2. Any other signal
     * goes to the program, and a program it ends reports it as STOP's {@code signal}, {@code killed} false.
     */
    private void signal(Operation.Signal signal) {
        if (!supports(Capability.SIGNALS)) {
            send(Event.Error.of(signal.nonce(), ErrorCode.BAD_REQUEST, unsupportedMessage(Capability.SIGNALS)));
            return;
        }
        Run run = ownRun(signal.runId(), signal.nonce());
        if (run == null) {
            return;
        }
        if (signal.signal() == ProgramSignal.SIGKILL) {
            run.kill(Run.EndReason.KILLED_BY_CLIENT);
        } else {
            run.signal(signal.signal());
        }
    }

    private void resize(Operation.Resize resize) {
        Run run = ownRun(resize.runId(), resize.nonce());
        if (run == null) {
            return;
        }
        if (!run.hasTerminal()) {
            send(Event.Error.of(resize.nonce(), ErrorCode.BAD_REQUEST, NO_TERMINAL));
            return;
        }
        run.resize(resize.columns(), resize.rows());
    }

    // --- used by runs and the engine -------------------------------------------------------------

    void send(Event event) {
        sendGate.readLock().lock();
        try {
            if (closed) {
                return;
            }
            sink.send(event);
        } catch (RuntimeException e) {
            log.warn("event sink failed; dropping {} event", event.eventCode(), e);
        } finally {
            sendGate.readLock().unlock();
        }
    }

    Writability writability() {
        return writability;
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
            run.kill(Run.EndReason.ENGINE_CLOSED);
        }
    }

    @Override
    public void writabilityChanged(boolean writable) {
        writability.set(writable);
    }

    @Override
    public int activeRuns() {
        return engine.activeRuns(this);
    }

    @Override
    public void close() {
        if (sendGate.getReadHoldCount() > 0) {
            // Called from inside this session's own send (a sink that closes its connection on a failed
            // write): that send is the caller's, so close without waiting for it.
            closed = true;
        } else {
            sendGate.writeLock().lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
            } finally {
                sendGate.writeLock().unlock();
            }
        }
        writability.close();
        for (Run run : runs.values()) {
            if (!engine.unqueue(run)) {
                run.kill(Run.EndReason.SESSION_CLOSED);
            }
        }
        engine.sessionClosed(this);
    }
}
